package io.sluice.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks v1 verification: HMAC-SHA256 over {@code id.timestamp.body} (raw bytes), compared in constant
 * time against every {@code v1,<base64>} entry of the signature header and every current secret. Stateless and
 * thread-safe: each call makes its own {@link Mac}.
 */
public final class SignatureVerifier {

    /** Why a request was refused; reported in a meter, never to the caller. */
    public enum Failure {

        MISSING_HEADERS("missing_headers"), BAD_TIMESTAMP("bad_timestamp"), TIMESTAMP_OUT_OF_TOLERANCE(
                "timestamp_out_of_tolerance"), NO_MATCHING_SIGNATURE("no_matching_signature");

        private final String tag;

        Failure(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    private static final String SECRET_PREFIX = "whsec_";

    private SignatureVerifier() {
    }

    /** The key bytes of a {@code whsec_<base64>} secret (the prefix is optional). */
    public static byte[] decodeSecret(String secret) {
        String encoded = secret.strip();
        if (encoded.startsWith(SECRET_PREFIX)) {
            encoded = encoded.substring(SECRET_PREFIX.length());
        }
        return Base64.getDecoder().decode(encoded);
    }

    public static Optional<Failure> verify(List<byte[]> secrets, String id, String timestamp, String signatures,
            byte[] body, Instant now, Duration tolerance) {
        if (isBlank(id) || isBlank(timestamp) || isBlank(signatures)) {
            return Optional.of(Failure.MISSING_HEADERS);
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.strip());
        } catch (NumberFormatException e) {
            return Optional.of(Failure.BAD_TIMESTAMP);
        }
        long earliest = now.getEpochSecond() - tolerance.toSeconds();
        long latest = now.getEpochSecond() + tolerance.toSeconds();
        if (seconds < earliest || seconds > latest) {
            return Optional.of(Failure.TIMESTAMP_OUT_OF_TOLERANCE);
        }
        byte[] prefix = (id + "." + timestamp.strip() + ".").getBytes(StandardCharsets.UTF_8);
        for (byte[] secret : secrets) {
            byte[] expected = sign(secret, prefix, body);
            for (String entry : signatures.strip().split(" +")) {
                if (matches(entry, expected)) {
                    return Optional.empty();
                }
            }
        }
        return Optional.of(Failure.NO_MATCHING_SIGNATURE);
    }

    private static boolean matches(String entry, byte[] expected) {
        int comma = entry.indexOf(',');
        if (comma < 0 || !"v1".equals(entry.substring(0, comma))) {
            return false;
        }
        byte[] given;
        try {
            given = Base64.getDecoder().decode(entry.substring(comma + 1));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(expected, given);
    }

    private static byte[] sign(byte[] secret, byte[] prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(prefix);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
