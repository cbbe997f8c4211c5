package io.sluice.pull;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

/**
 * A paginated events API for the pull tests: a real HTTP server (Vert.x, on its own event loop) started by the test.
 * Each scenario is a path ({@code /<scenario>/events}) with a function from request to answer, and a log of the
 * cursors it was asked for.
 */
public final class FakeEventsApi {

    /** One answer: status, headers, body, and how long to wait before sending it. */
    public record Answer(int status, Map<String, String> headers, String body, long delayMillis) {

        public static Answer json(String body) {
            return new Answer(200, Map.of("Content-Type", "application/json"), body, 0);
        }

        public static Answer status(int status, Map<String, String> headers) {
            return new Answer(status, headers, "{\"error\":\"" + status + "\"}", 0);
        }

        public Answer delayed(long millis) {
            return new Answer(status, headers, body, millis);
        }

        public Answer withHeader(String name, String value) {
            Map<String, String> all = new java.util.HashMap<>(headers);
            all.put(name, value);
            return new Answer(status, all, body, delayMillis);
        }
    }

    /** One request as the API saw it: the cursor (or page) asked for, and when. */
    public record Seen(String cursor, long atNanos) {
    }

    private static FakeEventsApi instance;

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final Map<String, Function<HttpServerRequest, Answer>> scenarios = new ConcurrentHashMap<>();
    private final Map<String, List<Seen>> seen = new ConcurrentHashMap<>();

    private FakeEventsApi() throws Exception {
        server = vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /**
     * The server, started once per JVM. The test profile starts it (in the class loader that builds the
     * configuration); tests, which run in Quarkus's class loader, reach it over HTTP ({@link Control}): statics are
     * not shared between the two.
     */
    public static void ensureStarted() {
        // Quarkus builds the profile's configuration in more than one class loader: the first one starts the server
        synchronized (System.getProperties()) {
            if (System.getProperty(PORT_PROPERTY) != null) {
                return;
            }
            try {
                instance = new FakeEventsApi();
                PullScenarios.install(instance);
                System.setProperty(PORT_PROPERTY, String.valueOf(instance.port()));
            } catch (Exception e) {
                throw new IllegalStateException("the fake events API did not start", e);
            }
        }
    }

    static final String PORT_PROPERTY = "fakeeventsapi.port";

    /** Sets a scenario switch ({@code deny}, {@code shared-open}) or lists what a scenario was asked for. */
    private void control(HttpServerRequest request) {
        if (request.path().equals("/_control/flag")) {
            boolean value = Boolean.parseBoolean(request.getParam("value"));
            switch (request.getParam("name")) {
                case "deny" -> PullScenarios.DENY.set(value);
                case "shared-open" -> PullScenarios.SHARED_OPEN.set(value);
                default -> {
                    request.response().setStatusCode(404).end();
                    return;
                }
            }
            request.response().end("ok");
            return;
        }
        StringBuilder json = new StringBuilder("[");
        for (Seen one : seen(request.getParam("scenario"))) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("{\"cursor\":\"").append(one.cursor()).append("\",\"at_nanos\":").append(one.atNanos())
                    .append('}');
        }
        request.response().putHeader("Content-Type", "application/json").end(json.append(']').toString());
    }

    /** The test's side of the fake API, over HTTP. */
    public static final class Control {

        private Control() {
        }

        static int port() {
            return Integer.parseInt(System.getProperty(PORT_PROPERTY));
        }

        public static String url(String scenario) {
            return "http://127.0.0.1:" + port() + "/" + scenario + "/events";
        }

        public static void flag(String name, boolean value) {
            io.restassured.RestAssured.given().baseUri("http://127.0.0.1").port(port())
                    .queryParam("name", name).queryParam("value", value)
                    .post("/_control/flag").then().statusCode(200);
        }

        public static List<Seen> seen(String scenario) {
            io.restassured.path.json.JsonPath json = io.restassured.RestAssured.given().baseUri("http://127.0.0.1")
                    .port(port()).queryParam("scenario", scenario).get("/_control/seen")
                    .then().statusCode(200).extract().jsonPath();
            List<String> cursors = json.getList("cursor", String.class);
            List<Long> at = json.getList("at_nanos", Long.class);
            List<Seen> seen = new java.util.ArrayList<>();
            for (int i = 0; i < cursors.size(); i++) {
                seen.add(new Seen(cursors.get(i), at.get(i)));
            }
            return seen;
        }

        public static List<String> cursors(String scenario) {
            return seen(scenario).stream().map(Seen::cursor).toList();
        }
    }

    public int port() {
        return server.actualPort();
    }

    public String url(String scenario) {
        return "http://127.0.0.1:" + port() + "/" + scenario + "/events";
    }

    public void on(String scenario, Function<HttpServerRequest, Answer> answer) {
        scenarios.put(scenario, answer);
    }

    public List<Seen> seen(String scenario) {
        return List.copyOf(seen.getOrDefault(scenario, List.of()));
    }

    public List<String> cursors(String scenario) {
        return seen(scenario).stream().map(Seen::cursor).toList();
    }

    private void handle(HttpServerRequest request) {
        if (request.path().startsWith("/_control/")) {
            control(request);
            return;
        }
        String[] parts = request.path().split("/");
        String scenario = parts.length > 1 ? parts[1] : "";
        String cursor = request.getParam("cursor") != null
                ? request.getParam("cursor")
                : request.getParam("page") != null ? "page=" + request.getParam("page") : "<start>";
        seen.computeIfAbsent(scenario, s -> new CopyOnWriteArrayList<>()).add(new Seen(cursor, System.nanoTime()));
        Function<HttpServerRequest, Answer> handler = scenarios.get(scenario);
        Answer answer = handler == null ? Answer.status(404, Map.of()) : handler.apply(request);
        Runnable send = () -> {
            var response = request.response().setStatusCode(answer.status());
            answer.headers().forEach(response::putHeader);
            response.end(answer.body());
        };
        if (answer.delayMillis() > 0) {
            vertx.setTimer(answer.delayMillis(), id -> {
                if (!request.response().closed()) {
                    send.run();
                }
            });
        } else {
            send.run();
        }
    }
}
