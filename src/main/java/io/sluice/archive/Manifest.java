package io.sluice.archive;

import java.time.OffsetDateTime;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What an archived partition holds, written beside it as {@code <partition>.manifest.json}: the rows, the SHA-256
 * of the object as stored (gzip) and of its NDJSON content, the time and id ranges of the rows, the archive's format
 * and the database schema version (Flyway) the rows were read under.
 */
public record Manifest(
        @JsonProperty("format") String format,
        @JsonProperty("partition") String partition,
        @JsonProperty("object") String object,
        @JsonProperty("rows") long rows,
        @JsonProperty("bytes") long bytes,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("ndjson_sha256") String ndjsonSha256,
        @JsonProperty("min_received_at") OffsetDateTime minReceivedAt,
        @JsonProperty("max_received_at") OffsetDateTime maxReceivedAt,
        @JsonProperty("min_id") Long minId,
        @JsonProperty("max_id") Long maxId,
        @JsonProperty("schema_version") String schemaVersion,
        @JsonProperty("exported_at") OffsetDateTime exportedAt) {

    /** The line format: one bronze row per line, every column, payload and headers as JSON. */
    public static final String FORMAT = "sluice.bronze.events/1";

    /** The manifest's key for an object's key. */
    public static String keyOf(String objectKey) {
        return objectKey.substring(0, objectKey.length() - ArchiveKeys.OBJECT_SUFFIX.length())
                + ArchiveKeys.MANIFEST_SUFFIX;
    }
}
