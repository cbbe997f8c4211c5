package io.sluice.archive;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sluice.bronze.PartitionMaintenance;
import io.sluice.support.Db;
import io.sluice.support.Meters;

/**
 * The raw archive on its directory target (SPEC.md section 12), against the real PostgreSQL: an expired partition is
 * exported as gzip NDJSON with a manifest, verified and only then dropped; an export that fails leaves the partition
 * and is retried at the next run; the database refuses to drop a partition whose archive does not hold its rows; an
 * archived object replays through the backfill door into the same silver, and a corrupted one is refused.
 */
@QuarkusTest
class ArchiveDirectoryTest {

    private static final String OPERATOR = "test-operator-token-not-for-prod";
    private static final String READER = "test-reader-token-not-for-prod";
    private static final Path ROOT = Path.of("target/sluice-archive/bronze");

    private final ObjectMapper mapper = new ObjectMapper();

    @Inject
    PartitionMaintenance maintenance;

    @Test
    void anExpiredPartitionIsExportedVerifiedAndOnlyThenDropped() throws Exception {
        ArchivedPartitions fixture = ArchivedPartitions.withEvents(3);
        assertThat(fixture.rowsInPartition()).isEqualTo(3);
        double verifiedBefore = Meters.sum(Meters.scrape(), "sluice_archive_exports_total", "outcome=\"verified\"");

        PartitionMaintenance.Report report = maintenance.maintain().await().atMost(Duration.ofSeconds(120));

        assertThat(report.dropped()).isPositive();
        assertThat(fixture.partitionExists()).isFalse();
        Path object = ROOT.resolve(fixture.partition + ".ndjson.gz");
        List<String> lines = gunzip(object);
        assertThat(lines).hasSize(3);
        JsonNode first = mapper.readTree(lines.get(0));
        assertThat(first.fieldNames()).toIterable().contains("id", "event_id", "event_type", "channel", "source",
                "received_at", "payload", "headers", "kafka_topic", "kafka_partition", "kafka_offset", "payload_hash");
        assertThat(lines).map(line -> mapper.readTree(line).path("event_id").asText())
                .containsExactlyInAnyOrderElementsOf(fixture.ids);
        assertThat(first.path("payload").path("page").path("url").asText()).isEqualTo("https://shop.example/home");
        assertThat(first.path("channel").asText()).isEqualTo("webhook");

        JsonNode manifest = mapper.readTree(ROOT.resolve(fixture.partition + ".manifest.json").toFile());
        assertThat(manifest.path("rows").asLong()).isEqualTo(3);
        assertThat(manifest.path("sha256").asText()).isEqualTo(sha256(Files.readAllBytes(object)));
        assertThat(manifest.path("bytes").asLong()).isEqualTo(Files.size(object));
        assertThat(manifest.path("format").asText()).isEqualTo(Manifest.FORMAT);
        assertThat(manifest.path("schema_version").asText()).isNotBlank();
        assertThat(manifest.path("min_received_at").asText()).startsWith(fixture.day.toString());
        assertThat(manifest.path("max_received_at").asText()).startsWith(fixture.day.toString());

        assertThat(Db.rows("SELECT rows, sha256, dropped_at IS NOT NULL AS dropped FROM bronze.partition_archives "
                + "WHERE partition = ?", fixture.partition)).singleElement().satisfies(row -> {
                    assertThat(((Number) row.get("rows")).longValue()).isEqualTo(3);
                    assertThat(row.get("sha256")).isEqualTo(manifest.path("sha256").asText());
                    assertThat(row.get("dropped")).isEqualTo(true);
                });
        assertThat(Meters.sum(Meters.scrape(), "sluice_archive_exports_total", "outcome=\"verified\""))
                .isGreaterThan(verifiedBefore);
    }

    @Test
    void aFailedExportLeavesThePartitionCountsAndIsRetriedAtTheNextRun() throws Exception {
        ArchivedPartitions fixture = ArchivedPartitions.withEvents(2);
        // a non-empty directory where the object must go: the export cannot be moved into place
        Path obstacle = ROOT.resolve(fixture.partition + ".ndjson.gz");
        Files.createDirectories(obstacle);
        Files.writeString(obstacle.resolve("in-the-way"), "x");
        double failedBefore = Meters.sum(Meters.scrape(), "sluice_archive_exports_total", "outcome=\"failed\"");
        try {
            PartitionMaintenance.Report report = maintenance.maintain().await().atMost(Duration.ofSeconds(120));

            assertThat(report.archiveFailures()).isPositive();
            assertThat(fixture.partitionExists()).isTrue();
            assertThat(fixture.rowsInPartition()).isEqualTo(2);
            String metrics = Meters.scrape();
            assertThat(Meters.sum(metrics, "sluice_archive_exports_total", "outcome=\"failed\""))
                    .isGreaterThan(failedBefore);
            assertThat(Meters.sum(metrics, "sluice_archive_failing_partitions")).isPositive();
        } finally {
            Files.delete(obstacle.resolve("in-the-way"));
            Files.delete(obstacle);
        }

        maintenance.maintain().await().atMost(Duration.ofSeconds(120));

        assertThat(fixture.partitionExists()).isFalse();
        assertThat(gunzip(obstacle)).hasSize(2);
        assertThat(Meters.sum(Meters.scrape(), "sluice_archive_failing_partitions")).isZero();
    }

    @Test
    void theDatabaseRefusesToDropAPartitionWhoseArchiveDoesNotHoldItsRows() {
        ArchivedPartitions fixture = ArchivedPartitions.withEvents(1);
        // no archive recorded at all
        assertThatThrownBy(() -> Db.rows("SELECT bronze.drop_archived_partition(?, interval '30 days', 1)",
                fixture.partition)).hasMessageContaining("has no verified archive");
        // an archive recorded with another count than the partition holds
        Db.execute("INSERT INTO bronze.partition_archives (partition, object_key, location, rows, bytes, sha256, "
                + "verified_at) VALUES (?, 'k', 'l', 5, 1, 'x', now())", fixture.partition);
        assertThatThrownBy(() -> Db.rows("SELECT bronze.drop_archived_partition(?, interval '30 days', 5)",
                fixture.partition)).hasMessageContaining("holds 1 rows");
        assertThat(fixture.partitionExists()).isTrue();
        // the service role still cannot drop it by itself
        assertThatThrownBy(() -> Db.execute("DROP TABLE bronze." + fixture.partition))
                .hasMessageContaining("must be owner");
        Db.execute("DELETE FROM bronze.partition_archives WHERE partition = ?", fixture.partition);
        maintenance.maintain().await().atMost(Duration.ofSeconds(120));
        assertThat(fixture.partitionExists()).isFalse();
    }

    @Test
    void anArchivedObjectReplaysIntoBronzeAndLeavesTheSameSilver() throws Exception {
        ArchivedPartitions fixture = ArchivedPartitions.withEvents(3);
        List<Map<String, Object>> silverBefore = fixture.silver();
        maintenance.maintain().await().atMost(Duration.ofSeconds(120));
        assertThat(fixture.partitionExists()).isFalse();
        String key = "bronze/" + fixture.partition + ".ndjson.gz";

        // a reader may not replay
        given().header("Authorization", "Bearer " + READER).when().post("/v1/admin/backfills?archive=" + key)
                .then().statusCode(403);
        JsonPath job = given().header("Authorization", "Bearer " + OPERATOR)
                .when().post("/v1/admin/backfills?archive=" + key)
                .then().statusCode(202).extract().jsonPath();

        assertThat(job.getString("state")).isEqualTo("completed");
        assertThat(job.getLong("accepted")).isEqualTo(3);
        assertThat(job.getLong("rejected")).isZero();
        String[] ids = fixture.idArray();
        assertThat(Db.rows("SELECT source, channel, headers->>'archive' AS archive, "
                + "headers->>'archived_channel' AS archived_channel FROM bronze.events WHERE event_id = ANY(?)",
                (Object) ids)).hasSize(3).allSatisfy(row -> {
                    assertThat(row.get("source")).isEqualTo("dev");
                    assertThat(row.get("channel")).isEqualTo("file");
                    assertThat(row.get("archive")).isEqualTo(key);
                    assertThat(row.get("archived_channel")).isEqualTo("webhook");
                });
        // promoted like any landed batch, and silver is what it was: one row per event, unchanged
        await().atMost(Duration.ofSeconds(60)).until(() -> Db.count("SELECT count(*) FROM bronze.promotion_queue q "
                + "WHERE q.event_id = ANY(?)", (Object) ids) == 0
                && Db.count("SELECT count(*) FROM bronze.promotion_batches b JOIN bronze.events e "
                        + "ON e.id / 65536 = b.batch_id WHERE e.event_id = ANY(?)", (Object) ids) == 0);
        assertThat(fixture.silver()).usingRecursiveComparison().isEqualTo(silverBefore);

        // unknown objects and keys that leave the archive are refused
        given().header("Authorization", "Bearer " + OPERATOR)
                .when().post("/v1/admin/backfills?archive=bronze/events_19000101.ndjson.gz")
                .then().statusCode(404).contentType("application/problem+json");
        given().header("Authorization", "Bearer " + OPERATOR)
                .when().post("/v1/admin/backfills?archive=../../etc/passwd.ndjson.gz")
                .then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void aCorruptedArchivedObjectIsRefusedAndNothingIsReplayed() throws Exception {
        ArchivedPartitions fixture = ArchivedPartitions.withEvents(2);
        maintenance.maintain().await().atMost(Duration.ofSeconds(120));
        Path object = ROOT.resolve(fixture.partition + ".ndjson.gz");
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(object, bytes);
        long bronzeBefore = Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ANY(?)",
                (Object) fixture.idArray());

        given().header("Authorization", "Bearer " + OPERATOR)
                .when().post("/v1/admin/backfills?archive=bronze/" + fixture.partition + ".ndjson.gz")
                .then().statusCode(422).contentType("application/problem+json");

        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ANY(?)",
                (Object) fixture.idArray())).isEqualTo(bronzeBefore);
    }

    private static List<String> gunzip(Path file) throws IOException {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
            return reader.lines().toList();
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
