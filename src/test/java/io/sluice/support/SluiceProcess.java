package io.sluice.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

import io.restassured.RestAssured;

/**
 * One more Sluice: the packaged jar ({@code target/quarkus-app/quarkus-run.jar}) started as its own process with the
 * %test profile, its own HTTP port and the given environment, stopped by {@link #close()}. Its output goes to
 * {@code target/<name>.log}.
 */
public final class SluiceProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path log;

    private SluiceProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the jar and waits until it answers ready. */
    public static SluiceProcess start(String name, Map<String, String> environment) {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run this test in the verify phase, after package");
        }
        int port = freePort();
        Path log = Path.of("target", name + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-Dquarkus.profile=test", "-Dquarkus.http.port=" + port,
                "-Dquarkus.http.test-port=" + port, "-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + jar, e);
        }
        SluiceProcess sluice = new SluiceProcess(process, port, log);
        boolean ready = false;
        try {
            Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException(name + " exited: " + Files.readString(log));
                        }
                        return sluice.ready();
                    });
            ready = true;
        } finally {
            if (!ready) {
                sluice.close();
            }
        }
        return sluice;
    }

    public int port() {
        return port;
    }

    public String metrics() {
        return Meters.scrape(port);
    }

    private boolean ready() {
        try {
            return RestAssured.given().port(port).get("/q/health/ready").statusCode() == 200;
        } catch (Exception e) { // not listening yet: RestAssured rethrows the checked ConnectException
            return false;
        }
    }

    /** Sends SIGTERM and waits (at most {@code limit}) for the exit: the time it took, or empty if still running. */
    public java.util.Optional<Duration> terminate(Duration limit) throws InterruptedException {
        long started = System.nanoTime();
        process.destroy();
        return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)
                ? java.util.Optional.of(Duration.ofNanos(System.nanoTime() - started))
                : java.util.Optional.empty();
    }

    /** kill -9: no shutdown hook, no drain, connections dropped as by a crash. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("still running 30 s after SIGKILL");
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
