package io.sluice.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.SluiceProcess;

/**
 * kill -9 of the packaged jar in the middle of a pull: a paginated events API (an HTTP server this test runs) serves
 * {@value #PAGES} pages; the instance is killed once it has committed some of them, and a new one started on the same
 * database resumes at the last durable cursor. Every event is in bronze and in silver exactly once, the cursor row
 * says the source read every page, and after the restart no page before the stored cursor was asked for again.
 */
class PullKillIT {

    private static final int PAGES = 120;
    private static final int PER_PAGE = 20;

    /** One request the API answered: the cursor asked for, and which instance (run) was alive. */
    private record Seen(String cursor, int run) {
    }

    @Test
    void killNineMidPullResumesAtTheLastDurablePageAndLandsEveryEventOnce() throws Exception {
        String source = "killpull" + UUID.randomUUID().toString().substring(0, 8);
        String prefix = "evt-" + source + "-";
        List<Seen> seen = new CopyOnWriteArrayList<>();
        int[] run = {1};
        HttpServer api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.setExecutor(Executors.newFixedThreadPool(4));
        api.createContext("/events", exchange -> page(exchange, prefix, seen, run[0]));
        api.start();
        Map<String, String> environment = environment(source, "http://127.0.0.1:" + api.getAddress().getPort()
                + "/events");
        try {
            String cursorAtKill;
            try (SluiceProcess first = SluiceProcess.start("sluice-pullkill-1", environment)) {
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                        .until(() -> pages(source) >= 10);
                first.kill();
                Map<String, Object> state = state(source);
                cursorAtKill = (String) state.get("cursor");
                assertThat(((Number) state.get("pages")).longValue()).as("killed mid-run, log:%n%s",
                        Files.readString(first.log())).isLessThan(PAGES);
            }
            run[0] = 2;
            try (SluiceProcess second = SluiceProcess.start("sluice-pullkill-2", environment)) {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(state(source).get("events")).as("log:%n%s",
                                Files.readString(second.log())).isEqualTo((long) PAGES * PER_PAGE));
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(Db.count(
                                "SELECT count(*) FROM silver.events WHERE channel = 'pull' AND source = ?", source))
                                .isEqualTo((long) PAGES * PER_PAGE));
            }
            Map<String, Object> state = state(source);
            assertThat(state.get("cursor")).as("the cursor after the last page").isEqualTo(cursor(PAGES));
            assertThat(state.get("failing")).isEqualTo(false);

            List<Map<String, Object>> perEvent = Db.rows("SELECT event_id, count(*) AS n FROM bronze.events "
                    + "WHERE channel = 'pull' AND source = ? GROUP BY event_id", source);
            assertThat(perEvent).as("every event in bronze").hasSize(PAGES * PER_PAGE);
            assertThat(perEvent).as("none twice: a page commits with its cursor")
                    .allSatisfy(row -> assertThat(row.get("n")).isEqualTo(1L));
            assertThat(Db.count("SELECT count(DISTINCT event_id) FROM silver.events WHERE channel = 'pull' "
                    + "AND source = ? AND event_id LIKE ?", source, prefix + "%")).isEqualTo((long) PAGES * PER_PAGE);

            // the new instance started where the old one's last commit left the cursor, and never went back
            List<String> afterRestart = seen.stream().filter(s -> s.run() == 2).map(Seen::cursor).toList();
            assertThat(afterRestart).as("pages asked for after the restart").isNotEmpty();
            assertThat(afterRestart.get(0)).isEqualTo(cursorAtKill);
            int resumedAt = pageOf(cursorAtKill);
            assertThat(afterRestart).as("no page before the stored cursor asked again")
                    .allSatisfy(cursor -> assertThat(pageOf(cursor)).isGreaterThanOrEqualTo(resumedAt));
            Map<String, Long> asked = seen.stream().collect(Collectors.groupingBy(Seen::cursor,
                    Collectors.counting()));
            for (int page = 0; page < PAGES; page++) {
                // the page in flight at the kill is asked twice, every other one once
                assertThat(asked.getOrDefault(cursor(page), 0L)).as("requests for page %d", page)
                        .isBetween(1L, page == resumedAt ? 2L : 1L);
            }
        } finally {
            api.stop(0);
        }
    }

    private static Map<String, String> environment(String source, String url) {
        String key = "SLUICE_PULL_SOURCES_" + source.toUpperCase() + "_";
        return Map.of("SLUICE_PULL_ENABLED", "true", "_TEST_SLUICE_PULL_ENABLED", "true",
                key + "URL", url, key + "INTERVAL", "1s", key + "PAGE_SIZE", Integer.toString(PER_PAGE),
                "MP_MESSAGING_INCOMING_EVENTS_ENABLED", "false", "_TEST_MP_MESSAGING_INCOMING_EVENTS_ENABLED",
                "false");
    }

    /** Page n is asked for with cursor {@code p<n>} (page 0 without one); the last page has no next cursor. */
    private static void page(HttpExchange exchange, String prefix, List<Seen> seen, int run) throws IOException {
        String query = URI.create("http://x" + exchange.getRequestURI()).getRawQuery();
        String cursor = query == null
                ? ""
                : java.util.Arrays.stream(query.split("&"))
                        .filter(p -> p.startsWith("cursor=")).map(p -> p.substring("cursor=".length())).findFirst()
                        .orElse("");
        int page = cursor.isEmpty() ? 0 : pageOf(cursor);
        seen.add(new Seen(cursor(page), run));
        try {
            Thread.sleep(40); // a real API's latency: the run lasts long enough to be killed in the middle
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> items = new ArrayList<>();
        if (page < PAGES) {
            IntStream.range(0, PER_PAGE).forEach(i -> items.add(Events.pageView(prefix + (page * PER_PAGE + i))));
        }
        String next = page < PAGES ? ",\"next_cursor\":\"" + cursor(page + 1) + "\"" : "";
        byte[] body = ("{\"data\":[" + String.join(",", items) + "]" + next + "}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static String cursor(int page) {
        return page == 0 ? "" : "p" + page;
    }

    private static int pageOf(String cursor) {
        return cursor == null || cursor.isEmpty() ? 0 : Integer.parseInt(cursor.substring(1));
    }

    private static long pages(String source) {
        List<Map<String, Object>> rows = Db.rows("SELECT pages FROM bronze.pull_sources WHERE name = ?", source);
        return rows.isEmpty() ? 0 : ((Number) rows.get(0).get("pages")).longValue();
    }

    private static Map<String, Object> state(String source) {
        return Db.rows("SELECT cursor, pages, events, failing FROM bronze.pull_sources WHERE name = ?", source)
                .get(0);
    }
}
