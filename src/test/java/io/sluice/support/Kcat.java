package io.sluice.support;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Produces records with kcat (librdkafka, installed by dev/tools-up): a Kafka client this project did not write.
 * Each line of input is one record; {@code key} and headers apply to every line.
 */
public final class Kcat {

    private Kcat() {
    }

    /** Sends each line as one record to a partition (or by key when {@code partition} is negative). */
    public static void produce(String topic, int partition, String key, Map<String, String> headers,
            List<String> lines) {
        List<String> command = new ArrayList<>(List.of("kcat", "-P", "-b", Kafka.bootstrap(), "-t", topic,
                "-X", "acks=all"));
        if (partition >= 0) {
            command.addAll(List.of("-p", Integer.toString(partition)));
        }
        if (key != null) {
            command.addAll(List.of("-k", key));
        }
        headers.forEach((name, value) -> command.addAll(List.of("-H", name + "=" + value)));
        run(command, String.join("\n", lines) + "\n");
    }

    /** Sends {@code key<TAB>value} lines, each record keyed by its own key (partitioned by key hash). */
    public static void produceKeyed(String topic, List<String> keyTabValueLines) {
        run(List.of("kcat", "-P", "-b", Kafka.bootstrap(), "-t", topic, "-X", "acks=all", "-K", "\t"),
                String.join("\n", keyTabValueLines) + "\n");
    }

    private static void run(List<String> command, String input) {
        try {
            Path log = Files.createTempFile("kcat", ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("kcat did not finish: " + command);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("kcat failed (" + process.exitValue() + "): "
                        + Files.readString(log));
            }
            Files.deleteIfExists(log);
        } catch (IOException e) {
            throw new IllegalStateException("could not run kcat (dev/tools-up installs it)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
