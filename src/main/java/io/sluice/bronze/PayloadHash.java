package io.sluice.bronze;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** {@code bronze.events.payload_hash}: the SHA-256 of the payload's bytes as landed, in hex. */
public final class PayloadHash {

    private static final HexFormat HEX = HexFormat.of();
    private static final MessageDigest SHA_256 = prototype();

    private PayloadHash() {
    }

    public static String of(byte[] payload) {
        try {
            // a clone of a prototype: MessageDigest.getInstance looks the provider up again on every call
            MessageDigest digest = (MessageDigest) SHA_256.clone();
            return HEX.formatHex(digest.digest(payload));
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 cannot be cloned in this JVM", e);
        }
    }

    private static MessageDigest prototype() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
