package io.sluice.archive;

import java.util.regex.Pattern;

/** Object keys of the archive: {@code <prefix><partition>.ndjson.gz} and {@code <prefix><partition>.manifest.json}. */
public final class ArchiveKeys {

    public static final String OBJECT_SUFFIX = ".ndjson.gz";
    public static final String MANIFEST_SUFFIX = ".manifest.json";
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._/-]{1,512}");

    private ArchiveKeys() {
    }

    /** Whether a key given by an operator names an archived object (and cannot leave the archive's root). */
    public static boolean isObjectKey(String key) {
        return key != null && KEY.matcher(key).matches() && key.endsWith(OBJECT_SUFFIX) && !key.startsWith("/")
                && !key.contains("..") && !key.contains("//");
    }
}
