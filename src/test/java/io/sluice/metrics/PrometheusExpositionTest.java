package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/**
 * /q/metrics in the Prometheus text format passes {@code promtool check metrics} (installed by dev/tools-up) without a
 * parse error, and carries every sluice_* meter of SPEC.md section 8 that this build has.
 */
@QuarkusTest
class PrometheusExpositionTest {

    @Test
    void exposedMetersParseWithPromtoolAndIncludeSluiceMeters() throws Exception {
        String exposition = Scrape.prometheusTextAfterTraffic();

        PromtoolResult result = promtool(exposition);
        assertThat(result.exitCode())
                .as("promtool check metrics (1 = parse error; 3 = style warnings only):%n%s", result.output())
                .isIn(0, 3);
        assertThat(Scrape.sampleNames(exposition)).containsAll(ExposedMeters.IN_THIS_BUILD);
        assertThat(exposition)
                .contains("# TYPE sluice_bronze_write_seconds histogram")
                .contains("# TYPE sluice_promotion_latency_seconds histogram")
                .contains("sluice_events_received_total{channel=\"webhook\",outcome=\"accepted\",source=\"dev\"")
                .contains("sluice_webhook_auth_failures_total{partner=\"dev\",reason=");
    }

    private record PromtoolResult(int exitCode, String output) {
    }

    private static PromtoolResult promtool(String exposition) throws IOException, InterruptedException {
        Path file = Files.createTempFile("sluice-metrics", ".prom");
        try {
            Files.writeString(file, exposition, StandardCharsets.UTF_8);
            Process process = new ProcessBuilder("promtool", "check", "metrics")
                    .redirectInput(file.toFile())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new PromtoolResult(process.waitFor(), output);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
