package io.sluice.backfill;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import io.sluice.support.Db;
import io.sluice.support.Meters;

/**
 * The backfill door: NDJSON and gzipped CSV uploads streamed past the HTTP body limit, decoded and validated per
 * line, landed by COPY in chunks under the landing contract, rejected lines with their line numbers, the job API,
 * roles, and a job interrupted by a crash resumed without landing a line twice.
 */
@QuarkusTest
class BackfillTest {

    static final String READER = "test-reader-token-not-for-prod";
    static final String OPERATOR = "test-operator-token-not-for-prod";

    private static final String PADDING = "p".repeat(340);

    @Inject
    Interruptions interruptions;

    private static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    private static String source() {
        return "bf-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String event(String id) {
        return "{\"event_id\":\"" + id + "\",\"event_type\":\"page_view\",\"occurred_at\":\"2026-11-20T10:00:00Z\","
                + "\"anonymous_id\":\"anon-bf\",\"page\":{\"url\":\"https://shop.example/history\"}}";
    }

    private static String lines(String prefix, int from, int to) {
        StringBuilder body = new StringBuilder();
        for (int n = from; n < to; n++) {
            // about 550 bytes per line, like the benchmark's events
            body.append(event(prefix + n), 0, event(prefix + n).length() - 1)
                    .append(",\"properties\":{\"note\":\"").append(PADDING).append("\"}}\n");
        }
        return body.toString();
    }

    private static JsonPath upload(String source, String contentType, byte[] body, String encoding) {
        RequestSpecification request = as(OPERATOR).contentType(contentType).body(body);
        if (encoding != null) {
            request = request.header("Content-Encoding", encoding);
        }
        return request.when().post("/v1/admin/backfills?source=" + source)
                .then().statusCode(202).contentType(startsWith("application/json"))
                .extract().jsonPath();
    }

    @Test
    void ndjsonLinesAreValidatedAndLandedAndBadLinesRejectedAloneWithTheirNumber() {
        String source = source();
        String prefix = "evt-" + source + "-";
        String big = "{\"event_id\":\"" + prefix + "big\",\"event_type\":\"page_view\",\"occurred_at\":"
                + "\"2026-11-20T10:00:00Z\",\"anonymous_id\":\"a\",\"page\":{\"url\":\"https://shop.example/\"},"
                + "\"properties\":{\"blob\":\"" + "x".repeat(70_000) + "\"}}";
        String body = event(prefix + 1) + "\n"
                + "{\"event_id\":\"" + prefix
                + "2\",\"event_type\":\"page_view\",\"occurred_at\":\"2026-11-20T10:00:00Z\"}\n"
                + "this is not json\n"
                + "\n"
                + big + "\n"
                + event(prefix + 1) + "\r\n"
                + event(prefix + 3) + "\n";
        JsonPath job = upload(source, "application/x-ndjson", body.getBytes(StandardCharsets.UTF_8), null);
        assertThat(job.getString("state")).isEqualTo("completed");
        assertThat(job.getString("source")).isEqualTo(source);
        assertThat(job.getLong("lines")).isEqualTo(7);
        assertThat(job.getLong("accepted")).isEqualTo(2);
        assertThat(job.getLong("duplicates")).isEqualTo(1);
        assertThat(job.getLong("rejected")).isEqualTo(3);
        assertThat(job.getLong("bytes")).isEqualTo(body.getBytes(StandardCharsets.UTF_8).length);
        // counted like every door's events
        String meters = Meters.scrape();
        String channel = "channel=\"file\"";
        String ofSource = "source=\"" + source + "\"";
        assertThat(Meters.sum(meters, "sluice_events_received_total", channel, ofSource, "outcome=\"accepted\""))
                .isEqualTo(2);
        assertThat(Meters.sum(meters, "sluice_events_received_total", channel, ofSource, "outcome=\"duplicate\""))
                .isEqualTo(1);
        assertThat(Meters.sum(meters, "sluice_events_received_total", channel, ofSource, "outcome=\"rejected\""))
                .isEqualTo(3);

        List<Map<String, Object>> rows = Db.rows("SELECT id, event_id, headers->>'line' AS line, received_at "
                + "FROM bronze.events WHERE channel = 'file' AND source = ? ORDER BY id", source);
        assertThat(rows).extracting(r -> r.get("event_id")).containsExactly(prefix + 1, prefix + 3);
        assertThat(rows).extracting(r -> r.get("line")).containsExactly("1", "7");
        long first = (Long) rows.get(0).get("id");
        assertThat((Long) rows.get(1).get("id")).isEqualTo(first + 1);
        assertThat(first % 65536).isZero();
        assertThat(rows.get(1).get("received_at")).isEqualTo(rows.get(0).get("received_at"));

        List<Map<String, Object>> rejects = Db.rows("SELECT event_id, reason, headers->>'line' AS line, "
                + "violations::text AS violations FROM bronze.rejected_events WHERE channel = 'file' AND source = ? "
                + "ORDER BY (headers->>'line')::int", source);
        assertThat(rejects).extracting(r -> r.get("line")).containsExactly("2", "3", "5");
        assertThat(rejects.get(0).get("reason")).isEqualTo("invalid");
        assertThat(rejects.get(0).get("event_id")).isEqualTo(prefix + 2);
        assertThat((String) rejects.get(1).get("violations")).contains("not valid JSON");
        assertThat((String) rejects.get(2).get("violations")).contains("larger than");

        // promoted like any landed batch: one silver row per event, channel file
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Db.count(
                "SELECT count(*) FROM silver.events WHERE channel = 'file' AND source = ?", source)).isEqualTo(2));

        long id = job.getLong("id");
        as(READER).get("/v1/admin/backfills/" + id).then().statusCode(200)
                .body("state", equalTo("completed")).body("accepted", equalTo(2));
        as(READER).get("/v1/admin/backfills").then().statusCode(200).body("items.id", hasItem((int) id));
    }

    @Test
    void escapesAndNonAsciiTextLandAsSent() {
        String source = source();
        String id = "evt-" + source + "-escapes";
        // JSON escapes (a backslash before n, t, r, a quote, a backslash) and non-ASCII text: COPY's text format must
        // carry each byte through its own escaping
        String line = "{\"event_id\":\"" + id + "\",\"event_type\":\"page_view\","
                + "\"occurred_at\":\"2026-11-20T10:00:00Z\",\"anonymous_id\":\"a\",\"page\":{\"url\":"
                + "\"https://shop.example/\"},\"properties\":{\"note\":\"line\\nbreak\\ttab\\rcr \\\"quoted\\\" "
                + "back\\\\slash ünïcødé 🎉\"}}";
        JsonPath job = upload(source, "application/x-ndjson", (line + "\n").getBytes(StandardCharsets.UTF_8), null);
        assertThat(job.getLong("accepted")).isEqualTo(1);
        Map<String, Object> row = Db.rows("SELECT payload->'properties'->>'note' AS note, "
                + "length(payload_hash) AS hash_bytes, payload = ?::jsonb AS same FROM bronze.events "
                + "WHERE source = ?", line, source).get(0);
        assertThat(row.get("note")).isEqualTo("line\nbreak\ttab\rcr \"quoted\" back\\slash ünïcødé 🎉");
        assertThat(row.get("same")).isEqualTo(true);
        assertThat(row.get("hash_bytes")).isEqualTo(32);
    }

    @Test
    void aGzippedCsvWithFieldPathsAndJsonCellsIsRead() throws IOException {
        String source = source();
        String prefix = "evt-" + source + "-";
        String csv = "event_id,event_type,occurred_at,user_id,product.sku,product.price,product.currency,quantity,"
                + "order.order_id,order.currency,order.total,order.items\n"
                + prefix + "cart,add_to_cart,2026-11-20T10:00:00Z,u-1,SKU-1,9.99,EUR,2,,,,\n"
                + prefix + "buy,purchase,2026-11-20T10:05:00Z,u-1,,,,,o-1,EUR,19.98,"
                + "\"[{\"\"sku\"\":\"\"SKU-1\"\",\"\"quantity\"\":2,\"\"unit_price\"\":9.99}]\"\n"
                + prefix + "bad,add_to_cart,2026-11-20T10:00:00Z,u-1,SKU-1,9.99,EUR,0,,,,\n";
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(csv.getBytes(StandardCharsets.UTF_8));
        }
        JsonPath job = upload(source, "text/csv", gz.toByteArray(), "gzip");
        assertThat(job.getString("state")).isEqualTo("completed");
        assertThat(job.getString("format")).isEqualTo("csv");
        assertThat(job.getLong("accepted")).isEqualTo(2);
        assertThat(job.getLong("rejected")).isEqualTo(1);
        assertThat(job.getLong("bytes")).isEqualTo(gz.size());
        Map<String, Object> buy = Db.rows("SELECT payload->'order'->'items'->0->>'unit_price' AS price, "
                + "jsonb_typeof(payload->'order'->'total') AS total FROM bronze.events WHERE event_id = ?",
                prefix + "buy").get(0);
        assertThat(buy.get("price")).isEqualTo("9.99");
        assertThat(buy.get("total")).isEqualTo("number");
        Map<String, Object> bad = Db.rows("SELECT headers->>'line' AS line, violations::text AS v "
                + "FROM bronze.rejected_events WHERE event_id = ?", prefix + "bad").get(0);
        assertThat(bad.get("line")).isEqualTo("4");
        assertThat((String) bad.get("v")).contains("quantity");
    }

    @Test
    void aFileLargerThanTheHttpBodyLimitIsStreamedInChunksEachItsOwnBatch() {
        String source = source();
        int n = 14_000;
        byte[] body = lines("evt-" + source + "-", 0, n).getBytes(StandardCharsets.UTF_8);
        assertThat(body.length).as("over quarkus.http.limits.max-body-size").isGreaterThan(6 * 1024 * 1024);
        JsonPath job = upload(source, "application/x-ndjson", body, null);
        assertThat(job.getString("state")).isEqualTo("completed");
        assertThat(job.getLong("accepted")).isEqualTo(n);
        assertThat(job.getInt("chunks")).isEqualTo(3);
        List<Map<String, Object>> batches = Db.rows("SELECT id / 65536 AS batch, count(*) AS n, "
                + "count(DISTINCT received_at) AS times, min(id % 65536) AS lo, max(id % 65536) AS hi "
                + "FROM bronze.events WHERE source = ? GROUP BY 1 ORDER BY 1", source);
        assertThat(batches).hasSize(3);
        assertThat(batches).allSatisfy(b -> {
            assertThat(((Number) b.get("times")).longValue()).isEqualTo(1);
            assertThat(((Number) b.get("lo")).longValue()).isZero();
            assertThat(((Number) b.get("hi")).longValue()).isEqualTo(((Number) b.get("n")).longValue() - 1);
        });
        assertThat(batches).extracting(b -> ((Number) b.get("n")).longValue()).containsExactly(6000L, 6000L, 2000L);
    }

    @Test
    void aChunkThatFailsToLandFailsTheJobAtItsLastCommittedChunkAndTheJobResumesFromThere() {
        String source = source();
        String prefix = "evt-" + source + "-";
        byte[] whole = lines(prefix, 0, 15_000).getBytes(StandardCharsets.UTF_8);
        // the second chunk's transaction fails at its progress update, while the third chunk is being read
        String refuse = "refuse_" + source.replace('-', '_');
        Db.executeAsOwner("""
                CREATE FUNCTION public.%1$s() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'chunk refused by the test'; END $$;
                CREATE TRIGGER %1$s BEFORE UPDATE ON bronze.backfill_jobs FOR EACH ROW
                    WHEN (NEW.source = '%2$s' AND NEW.lines > 6000) EXECUTE FUNCTION public.%1$s();
                """.formatted(refuse, source));
        try {
            JsonPath failed = upload(source, "application/x-ndjson", whole, null);
            assertThat(failed.getString("state")).isEqualTo("failed");
            assertThat(failed.getString("error")).contains("landing failed");
            assertThat(failed.getLong("lines")).isEqualTo(6000);
            assertThat(failed.getLong("accepted")).isEqualTo(6000);
            assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE source = ?", source)).isEqualTo(6000);
        } finally {
            Db.executeAsOwner(
                    "DROP TRIGGER IF EXISTS %1$s ON bronze.backfill_jobs; DROP FUNCTION IF EXISTS public.%1$s();"
                            .formatted(refuse));
        }
        long id = Db.count("SELECT id FROM bronze.backfill_jobs WHERE source = ?", source);
        JsonPath resumed = as(OPERATOR).contentType("application/x-ndjson").body(whole)
                .post("/v1/admin/backfills/" + id + "/resume")
                .then().statusCode(202).extract().jsonPath();
        assertThat(resumed.getString("state")).isEqualTo("completed");
        assertThat(resumed.getLong("lines")).isEqualTo(15_000);
        assertThat(resumed.getLong("accepted")).isEqualTo(15_000);
        assertThat(Db.count("SELECT count(DISTINCT event_id) FROM bronze.events WHERE source = ?", source))
                .isEqualTo(15_000);
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE source = ?", source)).isEqualTo(15_000);
    }

    @Test
    void uploadsNeedTheOperatorRoleAKnownFormatAndASource() {
        byte[] body = (event("evt-" + UUID.randomUUID()) + "\n").getBytes(StandardCharsets.UTF_8);
        given().contentType("application/x-ndjson").body(body).post("/v1/admin/backfills?source=x")
                .then().statusCode(401).contentType(startsWith("application/problem+json"));
        as(READER).contentType("application/x-ndjson").body(body).post("/v1/admin/backfills?source=x")
                .then().statusCode(403).contentType(startsWith("application/problem+json"));
        as(OPERATOR).contentType("application/json").body(body).post("/v1/admin/backfills?source=x")
                .then().statusCode(415).contentType(startsWith("application/problem+json"));
        as(OPERATOR).contentType("application/x-ndjson").body(body).post("/v1/admin/backfills")
                .then().statusCode(400).contentType(startsWith("application/problem+json"))
                .body("detail", startsWith("source is required"));
        as(READER).get("/v1/admin/backfills/999999999").then().statusCode(404)
                .contentType(startsWith("application/problem+json"));
        given().get("/v1/admin/backfills").then().statusCode(401);
    }

    @Test
    void aJobWhoseRunnerDiedIsInterruptedAndResumesFromItsLastChunkWithoutDuplicates() throws Throwable {
        String source = source();
        String prefix = "evt-" + source + "-";
        String whole = lines(prefix, 0, 9000);
        String firstPart = lines(prefix, 0, 6000);
        // a run that committed its first chunk (6000 lines) and then died: its row still says running
        JsonPath partial = upload(source, "application/x-ndjson", firstPart.getBytes(StandardCharsets.UTF_8), null);
        long id = partial.getLong("id");
        Db.execute("UPDATE bronze.backfill_jobs SET state = 'running', finished_at = NULL, "
                + "updated_at = now() - interval '10 minutes' WHERE id = ?", id);
        // markOrphans runs on a Vert.x event-loop context here: a blocking wait inside it would be refused
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            VertxContextSupport.subscribeAndAwait(() -> interruptions.markOrphans());
            as(READER).get("/v1/admin/backfills/" + id).then().statusCode(200).body("state", equalTo("interrupted"));
        });
        JsonPath resumed = as(OPERATOR).contentType("application/x-ndjson")
                .body(whole.getBytes(StandardCharsets.UTF_8))
                .post("/v1/admin/backfills/" + id + "/resume")
                .then().statusCode(202).extract().jsonPath();
        assertThat(resumed.getLong("id")).isEqualTo(id);
        assertThat(resumed.getString("state")).isEqualTo("completed");
        assertThat(resumed.getLong("lines")).isEqualTo(9000);
        assertThat(resumed.getLong("accepted")).isEqualTo(9000);
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE source = ?", source)).isEqualTo(9000);
        assertThat(Db.count("SELECT count(DISTINCT event_id) FROM bronze.events WHERE source = ?", source))
                .isEqualTo(9000);
        // a completed job is not resumable
        as(OPERATOR).contentType("application/x-ndjson").body(whole.getBytes(StandardCharsets.UTF_8))
                .post("/v1/admin/backfills/" + id + "/resume")
                .then().statusCode(409).contentType(startsWith("application/problem+json"));
    }
}
