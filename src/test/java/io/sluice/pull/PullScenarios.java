package io.sluice.pull;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.sluice.pull.FakeEventsApi.Answer;

/** What each scenario's API answers, with fresh event ids per run. */
final class PullScenarios {

    /** Shared by the profile's and the tests' class loaders through a system property. */
    static final String RUN = (String) System.getProperties().computeIfAbsent("fakeeventsapi.run",
            key -> UUID.randomUUID().toString().substring(0, 8));
    static final AtomicBoolean DENY = new AtomicBoolean(true);
    static final AtomicBoolean SHARED_OPEN = new AtomicBoolean(false);
    static final int SHARED_PAGES = 8;

    private PullScenarios() {
    }

    /** The source of a scenario in this run: fresh rows in bronze.pull_sources whatever earlier runs left. */
    static String source(String scenario) {
        return scenario + "-" + RUN;
    }

    static String id(String scenario, int n) {
        return "evt-pull-" + RUN + "-" + scenario + "-" + n;
    }

    static String event(String id) {
        return """
                {"event_id":"%s","event_type":"page_view","occurred_at":"2026-11-20T10:00:00Z",
                 "anonymous_id":"anon-pull","page":{"url":"https://shop.example/pulled"}}""".formatted(id);
    }

    static String cloudEvent(String id) {
        return """
                {"specversion":"1.0","id":"%s","type":"com.example.page_view","source":"/partner-api",
                 "time":"2026-11-20T10:00:00Z","data":{"anonymous_id":"anon-pull","page":{"url":"https://shop.example/ce"}}}"""
                .formatted(id);
    }

    static String page(String next, String... items) {
        return "{\"data\":[" + String.join(",", items) + "],\"next_cursor\":"
                + (next == null ? "null" : "\"" + next + "\"") + "}";
    }

    static void install(FakeEventsApi api) {
        api.on(source("t-body"), request -> switch (cursor(request)) {
            case "<start>" -> Answer.json(page("c1", event(id("body", 1)), event(id("body", 2))));
            case "c1" -> Answer.json(page("c2", event(id("body", 3))));
            default -> Answer.json(page("c2"));
        });
        api.on(source("t-rewind"), request -> switch (cursor(request)) {
            case "<start>" -> Answer.json(page("c1", event(id("rewind", 1))));
            case "c1" -> Answer.json(page("c2", event(id("rewind", 2))));
            default -> Answer.json(page("c2"));
        });
        api.on(source("t-link"), request -> {
            String next = "<" + api.url(source("t-link")) + "?page=2>; rel=\"next\"";
            return "2".equals(request.getParam("page"))
                    ? Answer.json("{\"items\":[" + cloudEvent(id("link", 3)) + "]}")
                    : Answer.json("{\"items\":[" + cloudEvent(id("link", 1)) + "," + cloudEvent(id("link", 2)) + "]}")
                            .withHeader("Link", next);
        });
        AtomicInteger throttled = new AtomicInteger();
        api.on(source("t-throttled"), request -> throttled.getAndIncrement() == 0
                ? Answer.status(429, Map.of("Retry-After", "2"))
                : throttled.get() == 2
                        ? Answer.status(429, Map.of("Retry-After",
                                DateTimeFormatter.RFC_1123_DATE_TIME.format(
                                        ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(3))))
                        : Answer.json(page(null, event(id("throttled", 1)))));
        AtomicInteger flaky = new AtomicInteger();
        api.on(source("t-flaky"), request -> flaky.getAndIncrement() < 4
                ? Answer.status(flaky.get() % 2 == 0 ? 503 : 500, Map.of())
                : Answer.json(page(null, event(id("flaky", 1)))));
        AtomicInteger slow = new AtomicInteger();
        api.on(source("t-slow"), request -> slow.getAndIncrement() == 0
                ? Answer.json(page(null, event(id("slow", 0)))).delayed(8000)
                : Answer.json(page(null, event(id("slow", 1)))));
        AtomicInteger malformed = new AtomicInteger();
        api.on(source("t-malformed"), request -> {
            if (malformed.getAndIncrement() == 0) {
                return new Answer(200, Map.of("Content-Type", "application/json"), "this is not json {", 0);
            }
            return switch (cursor(request)) {
                case "<start>" -> Answer.json(page("m1", event(id("malformed", 1)),
                        "{\"event_id\":\"" + id("malformed", 2) + "\",\"occurred_at\":\"2026-11-20T10:00:00Z\"}",
                        "\"not an event\""));
                default -> Answer.json(page("m1", event(id("malformed", 3))));
            };
        });
        api.on(source("t-denied"), request -> DENY.get()
                ? Answer.status(403, Map.of())
                : Answer.json(page(null, event(id("denied", 1)))));
        api.on(source("t-shared"), request -> {
            if (!SHARED_OPEN.get()) {
                return Answer.json(page(null));
            }
            String cursor = cursor(request);
            int n = cursor.equals("<start>") ? 0 : Integer.parseInt(cursor.substring(1));
            String next = n + 1 < SHARED_PAGES ? "s" + (n + 1) : null;
            List<String> items = new ArrayList<>();
            items.add(event(id("shared", n)));
            return Answer.json(page(next, items.toArray(String[]::new))).delayed(150);
        });
    }

    private static String cursor(io.vertx.core.http.HttpServerRequest request) {
        String cursor = request.getParam("cursor");
        return cursor == null ? "<start>" : cursor;
    }
}
