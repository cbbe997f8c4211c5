import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Webhook -> bronze load generator (bench/webhook/run starts it): signs every request afresh (Standard Webhooks, a new
 * webhook-id, fresh event ids), so each request is a real bronze write, never a redelivery.
 *
 * <pre>
 * java WebhookBench.java load URL SECRET REQUESTS CONCURRENCY BATCH   -> closed loop, max events/s and latencies
 * java WebhookBench.java paced URL SECRET EVENTS_PER_S SECONDS BATCH  -> open loop at a fixed rate, latencies
 * java WebhookBench.java copyfile FILE ROWS                           -> COPY text file of bronze-shaped rows
 * java WebhookBench.java presign FILE SECRET REQUESTS BATCH            -> pre-signed requests for wrk (presigned.lua):
 *                                                                         webhook-id TAB timestamp TAB signature TAB body
 * java WebhookBench.java kafka FILE RECORDS                            -> key TAB value lines for kcat -K TAB
 * java WebhookBench.java backfill NDJSON COPYFILE LINES                -> a backfill file and its events as COPY rows
 * </pre>
 */
public class WebhookBench {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newFixedThreadPool(4)).build();

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "load" -> load(URI.create(args[1]), key(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]));
            case "paced" -> paced(URI.create(args[1]), key(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]), Integer.parseInt(args[5]));
            case "copyfile" -> copyFile(Path.of(args[1]), Integer.parseInt(args[2]));
            case "presign" -> presign(Path.of(args[1]), key(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]));
            case "kafka" -> kafkaFile(Path.of(args[1]), Integer.parseInt(args[2]));
            case "backfill" -> backfillFiles(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.exit(0); // the HTTP client's threads would keep the JVM alive
    }

    static void load(URI url, byte[] key, int requests, int concurrency, int batch) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger lastStatus = new AtomicInteger();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        long started = System.nanoTime();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        var pool = Executors.newFixedThreadPool(concurrency);
        for (int w = 0; w < concurrency; w++) {
            workers.add(CompletableFuture.runAsync(() -> {
                while (next.getAndIncrement() < requests) {
                    long t0 = System.nanoTime();
                    int status = send(url, key, batch);
                    latencies.add(System.nanoTime() - t0);
                    if (status != 202) {
                        failed.incrementAndGet();
                        lastStatus.set(status);
                    }
                }
            }, pool));
        }
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
        pool.shutdown();
        double seconds = (System.nanoTime() - started) / 1e9;
        report("load", requests, batch, seconds, failed.get(), latencies);
        if (failed.get() > 0) {
            System.out.println("last non-202 status: " + lastStatus.get());
        }
    }

    static void paced(URI url, byte[] key, int eventsPerSecond, int seconds, int batch) throws Exception {
        int requests = Math.max(1, eventsPerSecond * seconds / batch);
        long periodNanos = 1_000_000_000L * batch / eventsPerSecond;
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicInteger failed = new AtomicInteger();
        AtomicLong sent = new AtomicLong();
        Map<String, AtomicInteger> statuses = new ConcurrentSkipListMap<>();
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        long started = System.nanoTime();
        CompletableFuture<Void> done = new CompletableFuture<>();
        ticker.scheduleAtFixedRate(() -> {
            if (sent.getAndIncrement() >= requests) {
                done.complete(null);
                return;
            }
            long t0 = System.nanoTime();
            HttpRequest request = request(url, key, batch);
            synchronized (inFlight) {
                // a refused or reset connection, or no answer in 30 s, counts as a failed request (not a crash)
                inFlight.add(HTTP.sendAsync(request, HttpResponse.BodyHandlers.discarding()).<Void>handle((r, error) -> {
                    latencies.add(System.nanoTime() - t0);
                    String status = error == null ? Integer.toString(r.statusCode())
                            : "io-error (" + rootCause(error) + ")";
                    statuses.computeIfAbsent(status, ignored -> new AtomicInteger()).incrementAndGet();
                    if (error != null || r.statusCode() != 202) {
                        failed.incrementAndGet();
                    }
                    return null;
                }));
            }
        }, 0, periodNanos, TimeUnit.NANOSECONDS);
        done.join();
        ticker.shutdownNow();
        synchronized (inFlight) {
            CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        report("paced@" + eventsPerSecond + "/s", requests, batch, elapsed, failed.get(), latencies);
        System.err.println("paced statuses: " + statuses); // stderr: bench/run parses the line above
    }

    static String rootCause(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    static void report(String phase, int requests, int batch, double seconds, int failed,
            ConcurrentLinkedQueue<Long> latencies) {
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("%s: %d requests x %d events in %.2f s = %.0f events/s; non-202: %d; latency ms p50 %.1f"
                + " p99 %.1f max %.1f%n", phase, requests, batch, seconds, requests * (double) batch / seconds, failed,
                pct(sorted, 0.50), pct(sorted, 0.99), sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6);
    }

    static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)]
                / 1e6;
    }

    static int send(URI url, byte[] key, int batch) {
        try {
            return HTTP.send(request(url, key, batch), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    /**
     * {@code BENCH_TRAFFIC=shop} in the environment: the requests of {@code load} and {@code paced} carry a shop's
     * traffic ({@link #shopEvent}) instead of purchases only; the end-to-end phase uses it (gold's work per event
     * follows the purchase lines: 0.4 per event there, 1 in purchases only).
     */
    private static final boolean SHOP = "shop".equals(System.getenv("BENCH_TRAFFIC"));

    static HttpRequest request(URI url, byte[] key, int batch) {
        StringBuilder body = new StringBuilder(batch * 600).append('[');
        for (int i = 0; i < batch; i++) {
            body.append(i == 0 ? "" : ",").append(SHOP ? shopEvent() : event());
        }
        byte[] bytes = body.append(']').toString().getBytes(StandardCharsets.UTF_8);
        String id = "msg_" + UUID.randomUUID();
        String ts = Long.toString(System.currentTimeMillis() / 1000);
        return HttpRequest.newBuilder(url)
                .header("content-type", "application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", ts)
                .header("webhook-signature", "v1," + sign(key, id + "." + ts + ".", bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .timeout(java.time.Duration.ofSeconds(30))
                .build();
    }

    /** A purchase of about 550 bytes, like SPEC.md section 10's measurements. */
    static String event() {
        String id = UUID.randomUUID().toString();
        return """
                {"event_id":"bench-%s","event_type":"purchase","occurred_at":"%s","user_id":"user-%d",\
                "session_id":"s-%s","context":{"ip":"203.0.113.7","user_agent":"Mozilla/5.0 (X11; Linux x86_64)","locale":"en-GB"},\
                "order":{"order_id":"order-%s","currency":"EUR","total":25.98,"items":[{"sku":"SKU-%d","name":"Mug",\
                "category":"kitchen","brand":"Acme","quantity":2,"unit_price":12.99}]},"properties":{"campaign":"winter"}}"""
                .formatted(id, java.time.Instant.now().minusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                        id.hashCode() & 0xFFFF, id.substring(0, 8), id, id.hashCode() & 0x3FF);
    }

    /**
     * Live traffic of a shop, the mix of the promotion benchmark's workload (src/test/.../promotion/Workload.java):
     * 40 % product views, 20 % add_to_cart, 10 % remove_from_cart, 20 % purchases of 1-3 lines, 10 % page views, over
     * 2,000 skus and 20,000 users, occurred a minute ago.
     */
    static String shopEvent() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        String id = UUID.randomUUID().toString();
        String at = java.time.Instant.now().minusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        String user = "user-" + random.nextInt(20_000);
        int kind = random.nextInt(10);
        if (kind == 9) {
            return ("{\"event_id\":\"bench-%s\",\"event_type\":\"page_view\",\"occurred_at\":\"%s\","
                    + "\"anonymous_id\":\"anon-%s\",\"page\":{\"url\":\"https://shop.example/p/%d\",\"title\":\"Shop\"}}")
                    .formatted(id, at, id.substring(0, 8), random.nextInt(2_000));
        }
        if (kind >= 7) {
            StringBuilder items = new StringBuilder();
            int lines = 1 + random.nextInt(3);
            for (int line = 0; line < lines; line++) {
                items.append(line == 0 ? "" : ",").append(("{\"sku\":\"SKU-%d\",\"name\":\"Mug\",\"category\":\"kitchen\","
                        + "\"brand\":\"Acme\",\"quantity\":1,\"unit_price\":12.99}").formatted(random.nextInt(2_000)));
            }
            return ("{\"event_id\":\"bench-%s\",\"event_type\":\"purchase\",\"occurred_at\":\"%s\",\"user_id\":\"%s\","
                    + "\"order\":{\"order_id\":\"order-%s\",\"currency\":\"EUR\",\"total\":%s,\"items\":[%s]}}")
                    .formatted(id, at, user, id, new java.math.BigDecimal("12.99").multiply(
                            java.math.BigDecimal.valueOf(lines)), items);
        }
        String type = kind < 4 ? "product_view" : kind < 6 ? "add_to_cart" : "remove_from_cart";
        String quantity = kind < 4 ? "" : ",\"quantity\":" + (1 + random.nextInt(3));
        return ("{\"event_id\":\"bench-%s\",\"event_type\":\"%s\",\"occurred_at\":\"%s\",\"user_id\":\"%s\","
                + "\"product\":{\"sku\":\"SKU-%d\",\"name\":\"Mug\",\"category\":\"kitchen\",\"brand\":\"Acme\","
                + "\"price\":12.99,\"currency\":\"EUR\"}%s}").formatted(id, type, at, user, random.nextInt(2_000), quantity);
    }

    static String sign(byte[] key, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] key(String secret) {
        return Base64.getDecoder().decode(secret.startsWith("whsec_") ? secret.substring(6) : secret);
    }

    /**
     * Requests signed now (valid for the 300 s tolerance), each with a fresh webhook-id and fresh events, so that a
     * replaying client (wrk) sends real bronze writes and spends nothing on signing.
     */
    static void presign(Path file, byte[] key, int requests, int batch) throws Exception {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            String ts = Long.toString(System.currentTimeMillis() / 1000);
            for (int r = 0; r < requests; r++) {
                StringBuilder body = new StringBuilder(batch * 600);
                if (batch > 1) {
                    body.append('[');
                }
                for (int i = 0; i < batch; i++) {
                    body.append(i == 0 ? "" : ",").append(event());
                }
                if (batch > 1) {
                    body.append(']');
                }
                byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
                String id = "msg_" + UUID.randomUUID();
                out.write(id + "\t" + ts + "\tv1," + sign(key, id + "." + ts + ".", bytes) + "\t" + body + "\n");
            }
        }
    }

    /** Kafka records (key TAB value), the same events as the webhook phases, for kcat -K TAB. */
    static void kafkaFile(Path file, int records) throws Exception {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < records; i++) {
                out.write("user-" + (i % 5000) + "\t" + event() + "\n");
            }
        }
    }

    /**
     * A backfill file (NDJSON, one event a line) and the same events as rows for the COPY baseline, shaped as the
     * backfill lands them (channel file, the job's lineage as headers).
     */
    static void backfillFiles(Path ndjson, Path copy, int lines) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (BufferedWriter file = Files.newBufferedWriter(ndjson, StandardCharsets.UTF_8);
                BufferedWriter rows = Files.newBufferedWriter(copy, StandardCharsets.UTF_8)) {
            for (int i = 0; i < lines; i++) {
                String event = event();
                file.write(event);
                file.write('\n');
                rows.write(copyRow(sha, event, "file", "{\"backfill_job\":\"1\",\"line\":\"" + (i + 1) + "\"}"));
            }
        }
    }

    /** Rows for COPY bench.bronze_copy (event_id, event_type, channel, source, payload, headers, payload_hash). */
    static void copyFile(Path file, int rows) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < rows; i++) {
                out.write(copyRow(sha, event(), "webhook", "{\"webhook-id\":\"msg_" + i + "\"}"));
            }
        }
    }

    /** One COPY text row (event_id, event_type, channel, source, payload, headers, payload_hash) of a purchase. */
    private static String copyRow(MessageDigest sha, String event, String channel, String headers) {
        String eventId = event.substring(13, event.indexOf('"', 13));
        String hash = HexFormat.of().formatHex(sha.digest(event.getBytes(StandardCharsets.UTF_8)));
        return String.join("\t", Arrays.asList(eventId, "purchase", channel, "bench", event.replace("\\", "\\\\"),
                headers, "\\\\x" + hash)) + "\n";
    }
}
