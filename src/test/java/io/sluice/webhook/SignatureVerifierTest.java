package io.sluice.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.sluice.support.Signer;
import io.sluice.webhook.SignatureVerifier.Failure;

/** The Standard Webhooks verifier against signatures made by svix, at a fixed instant. */
class SignatureVerifierTest {

    private static final Instant NOW = Instant.parse("2026-11-21T10:00:00Z");
    private static final long TS = NOW.getEpochSecond();
    private static final Duration TOLERANCE = Duration.ofSeconds(300);
    private static final String SECRET = Signer.DEV_SECRET;
    private static final String OLD = "whsec_" + b64("the-old-secret-of-a-partner");
    private static final String ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    private static final String BODY = "{\"event_id\":\"evt-1\",\"event_type\":\"page_view\",\"note\":\"é ✓\"}";

    @Test
    void svixSignatureVerifies() {
        assertThat(verify(keys(SECRET), ID, TS, sign(SECRET, ID, TS, BODY), BODY)).isEmpty();
    }

    @Test
    void wrongSecretDoesNotVerify() {
        assertThat(verify(keys(SECRET), ID, TS, sign(OLD, ID, TS, BODY), BODY))
                .contains(Failure.NO_MATCHING_SIGNATURE);
    }

    @Test
    void eitherOfTwoSecretsVerifiesDuringRotation() {
        List<byte[]> both = keys(OLD, SECRET);
        assertThat(verify(both, ID, TS, sign(OLD, ID, TS, BODY), BODY)).isEmpty();
        assertThat(verify(both, ID, TS, sign(SECRET, ID, TS, BODY), BODY)).isEmpty();
    }

    @Test
    void timestampsAtTheToleranceEdgeVerifyAndBeyondDoNot() {
        for (long skew : new long[]{-300, 300, 0}) {
            assertThat(verify(keys(SECRET), ID, TS + skew, sign(SECRET, ID, TS + skew, BODY), BODY)).isEmpty();
        }
        for (long skew : new long[]{-301, 301, -86_400, 86_400}) {
            assertThat(verify(keys(SECRET), ID, TS + skew, sign(SECRET, ID, TS + skew, BODY), BODY))
                    .contains(Failure.TIMESTAMP_OUT_OF_TOLERANCE);
        }
    }

    @Test
    void extremeTimestampsCannotOverflowIntoTheWindow() {
        long[] extremes = {Long.MIN_VALUE, Long.MIN_VALUE + TS, TS + Long.MIN_VALUE, Long.MAX_VALUE, -TS};
        for (long ts : extremes) {
            assertThat(SignatureVerifier.verify(keys(SECRET), ID, Long.toString(ts), sign(SECRET, ID, TS, BODY),
                    BODY.getBytes(StandardCharsets.UTF_8), NOW, TOLERANCE))
                    .contains(Failure.TIMESTAMP_OUT_OF_TOLERANCE);
        }
    }

    @Test
    void nonNumericTimestampIsRefused() {
        for (String ts : List.of("soon", "1.7e9", "0x10", "99999999999999999999999")) {
            assertThat(SignatureVerifier.verify(keys(SECRET), ID, ts, sign(SECRET, ID, TS, BODY),
                    BODY.getBytes(StandardCharsets.UTF_8), NOW, TOLERANCE)).contains(Failure.BAD_TIMESTAMP);
        }
    }

    @Test
    void anyChangedByteOfBodyIdOrTimestampBreaksTheSignature() {
        String signature = sign(SECRET, ID, TS, BODY);
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < body.length; i++) {
            byte[] changed = body.clone();
            changed[i] ^= 0x01;
            assertThat(SignatureVerifier.verify(keys(SECRET), ID, Long.toString(TS), signature, changed, NOW,
                    TOLERANCE)).as("byte %d", i).contains(Failure.NO_MATCHING_SIGNATURE);
        }
        assertThat(verify(keys(SECRET), ID + "1", TS, signature, BODY)).contains(Failure.NO_MATCHING_SIGNATURE);
        assertThat(verify(keys(SECRET), ID, TS + 1, signature, BODY)).contains(Failure.NO_MATCHING_SIGNATURE);
    }

    @Test
    void missingHeadersAreRefused() {
        String signature = sign(SECRET, ID, TS, BODY);
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        String ts = Long.toString(TS);
        assertThat(SignatureVerifier.verify(keys(SECRET), null, ts, signature, body, NOW, TOLERANCE))
                .contains(Failure.MISSING_HEADERS);
        assertThat(SignatureVerifier.verify(keys(SECRET), ID, null, signature, body, NOW, TOLERANCE))
                .contains(Failure.MISSING_HEADERS);
        assertThat(SignatureVerifier.verify(keys(SECRET), ID, ts, null, body, NOW, TOLERANCE))
                .contains(Failure.MISSING_HEADERS);
        assertThat(SignatureVerifier.verify(keys(SECRET), " ", ts, " ", body, NOW, TOLERANCE))
                .contains(Failure.MISSING_HEADERS);
    }

    @Test
    void oneGoodSignatureAmongSeveralVerifies() {
        String good = sign(SECRET, ID, TS, BODY);
        String header = sign(OLD, ID, TS, BODY) + " v1a,abc v2," + good.substring(3) + " v1,%%% nocomma " + good;
        assertThat(verify(keys(SECRET), ID, TS, header, BODY)).isEmpty();
        assertThat(verify(keys(SECRET), ID, TS, header.replace(" " + good, ""), BODY))
                .contains(Failure.NO_MATCHING_SIGNATURE);
    }

    @Test
    void onlyTheV1SchemeCounts() {
        String good = sign(SECRET, ID, TS, BODY);
        assertThat(verify(keys(SECRET), ID, TS, "v2," + good.substring(3), BODY))
                .contains(Failure.NO_MATCHING_SIGNATURE);
        assertThat(verify(keys(SECRET), ID, TS, good.substring(3), BODY)).contains(Failure.NO_MATCHING_SIGNATURE);
    }

    @Test
    void emptyBodyCanBeSignedAndVerified() {
        assertThat(verify(keys(SECRET), ID, TS, sign(SECRET, ID, TS, ""), "")).isEmpty();
    }

    @Test
    void rawBytesThatAreNotUtf8VerifyWithTheJdkSigner() {
        byte[] body = {'{', (byte) 0xC3, (byte) 0x28, '}'};
        String signature = Signer.signatureOfBytes(SECRET, ID, TS, body);
        assertThat(SignatureVerifier.verify(keys(SECRET), ID, Long.toString(TS), signature, body, NOW, TOLERANCE))
                .isEmpty();
    }

    @Test
    void jdkSignerOfTheTestsAgreesWithSvix() {
        assertThat(Signer.signatureOfBytes(SECRET, ID, TS, BODY.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(sign(SECRET, ID, TS, BODY));
    }

    @Test
    void secretsDecodeWithOrWithoutPrefixAndRefuseGarbage() {
        assertThat(SignatureVerifier.decodeSecret(SECRET)).isEqualTo(SignatureVerifier.decodeSecret(
                SECRET.substring("whsec_".length())));
        assertThatThrownBy(() -> SignatureVerifier.decodeSecret("whsec_not base64!"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isSafeToShareBetweenThreads() throws Exception {
        List<byte[]> keys = keys(OLD, SECRET);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Optional<Failure>>> calls = IntStream.range(0, 400).<Callable<Optional<Failure>>>mapToObj(
                    i -> () -> {
                        String body = BODY + i;
                        String secret = i % 2 == 0 ? SECRET : OLD;
                        String expectedGood = sign(secret, ID + i, TS, body);
                        return verify(keys, ID + i, TS, i % 3 == 0
                                ? sign("whsec_" + b64("x" + i), ID + i, TS, body)
                                : expectedGood, body);
                    }).toList();
            List<Future<Optional<Failure>>> results = pool.invokeAll(calls);
            for (int i = 0; i < results.size(); i++) {
                assertThat(results.get(i).get()).as("call %d", i)
                        .isEqualTo(i % 3 == 0 ? Optional.of(Failure.NO_MATCHING_SIGNATURE) : Optional.empty());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Optional<Failure> verify(List<byte[]> keys, String id, long ts, String signature, String body) {
        return SignatureVerifier.verify(keys, id, Long.toString(ts), signature, body.getBytes(StandardCharsets.UTF_8),
                NOW, TOLERANCE);
    }

    private static String sign(String secret, String id, long ts, String body) {
        return Signer.signature(secret, id, ts, body);
    }

    private static List<byte[]> keys(String... secrets) {
        return List.of(secrets).stream().map(SignatureVerifier::decodeSecret).toList();
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
