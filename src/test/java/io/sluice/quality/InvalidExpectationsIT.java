package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The packaged jar refuses to start on an invalid expectation, and says which key is wrong. */
class InvalidExpectationsIT {

    @Test
    void anInvalidExpectationStopsTheStartUpWithAClearMessage() throws Exception {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        assertThat(jar).exists();
        Path log = Path.of("target", "invalid-expectations.log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dquarkus.profile=test", "-Dquarkus.http.port=0", "-Dsluice.promotion.enabled=false",
                "-Dsluice.quality.expectations.broken.kind=range",
                "-Dsluice.quality.expectations.broken.field=quantity",
                "-jar", jar.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the process exits by itself").isTrue();
            assertThat(process.exitValue()).isNotZero();
            assertThat(Files.readString(log)).contains(
                    "invalid data-quality expectations: sluice.quality.expectations.broken.min or max is required for range");
        } finally {
            process.destroyForcibly();
        }
    }
}
