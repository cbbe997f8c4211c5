package io.sluice.archive;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPInputStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.sluice.bronze.PartitionMaintenance;
import io.sluice.support.Meters;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The raw archive on an S3-compatible bucket (S3Mock in the test JVM): an upload that fails (the bucket is gone)
 * leaves the partition in place and counts; once the bucket is back, the next run exports, verifies and drops, and
 * the object in the bucket is the gzip NDJSON of the partition with its manifest, and replays through the backfill.
 */
@QuarkusTest
@TestProfile(S3ArchiveProfile.class)
class ArchiveS3Test {

    private static final String OPERATOR = "test-operator-token-not-for-prod";

    private final ObjectMapper mapper = new ObjectMapper();

    @Inject
    PartitionMaintenance maintenance;

    @Test
    void aFailedUploadLeavesThePartitionAndTheNextRunArchivesToTheBucket() throws Exception {
        try (S3Client s3 = client()) {
            ArchivedPartitions fixture = ArchivedPartitions.withEvents(2);
            s3.deleteBucket(b -> b.bucket(S3MockResource.BUCKET));
            double failedBefore = Meters.sum(Meters.scrape(), "sluice_archive_exports_total", "outcome=\"failed\"");

            PartitionMaintenance.Report failed = maintenance.maintain().await().atMost(Duration.ofSeconds(120));

            assertThat(failed.archiveFailures()).isPositive();
            assertThat(fixture.partitionExists()).isTrue();
            assertThat(fixture.rowsInPartition()).isEqualTo(2);
            assertThat(Meters.sum(Meters.scrape(), "sluice_archive_exports_total", "outcome=\"failed\""))
                    .isGreaterThan(failedBefore);

            s3.createBucket(b -> b.bucket(S3MockResource.BUCKET));
            maintenance.maintain().await().atMost(Duration.ofSeconds(120));

            assertThat(fixture.partitionExists()).isFalse();
            String key = "bronze/" + fixture.partition + ".ndjson.gz";
            List<String> lines;
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                    s3.getObject(b -> b.bucket(S3MockResource.BUCKET).key(key))), StandardCharsets.UTF_8))) {
                lines = reader.lines().toList();
            }
            assertThat(lines).map(line -> mapper.readTree(line).path("event_id").asText())
                    .containsExactlyInAnyOrderElementsOf(fixture.ids);
            JsonNode manifest = mapper.readTree(s3.getObjectAsBytes(b -> b.bucket(S3MockResource.BUCKET)
                    .key("bronze/" + fixture.partition + ".manifest.json")).asByteArray());
            assertThat(manifest.path("rows").asLong()).isEqualTo(2);
            assertThat(Meters.sum(Meters.scrape(), "sluice_archive_failing_partitions")).isZero();

            JsonPath job = given().header("Authorization", "Bearer " + OPERATOR)
                    .when().post("/v1/admin/backfills?archive=" + key)
                    .then().statusCode(202).extract().jsonPath();
            assertThat(job.getString("state")).isEqualTo("completed");
            assertThat(job.getLong("accepted")).isEqualTo(2);
        }
    }

    private static S3Client client() {
        return S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder())
                .endpointOverride(URI.create(S3MockResource.endpoint)).forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("test-access-key", "test-secret-key")))
                .build();
    }
}
