package io.sluice.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The fault suite's short form (bench/faults/run --short) on the packaged jar: kill -9 and restart, PostgreSQL hung
 * (SIGSTOP of the suite's own cluster) and restarted, a partner retry storm, a SIGTERM rolling restart of two
 * instances, a Kafka bad-input corpus (>= 200 bad records among good ones on every partition), a restart of the
 * suite's own Kafka broker while producers send, three instances under webhook and Kafka load with one killed by
 * kill -9, and a promoter killed by kill -9 while it drains a backlog, each under signed-webhook or Kafka load. The suite exits 0 only if, in every scenario, every acknowledged event
 * is in silver exactly once, nothing is lost or doubled, gold equals a fresh aggregation of silver, and no request
 * got an answer other than 202, 503 or 429.
 */
class FaultSuiteIT {

    @Test
    void shortFormLosesNothingAndDoublesNothing() throws Exception {
        Path output = Path.of("target", "faults", "suite-short.out");
        Files.createDirectories(output.getParent());
        Process suite = new ProcessBuilder("bench/faults/run", "--short").redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        boolean finished = suite.waitFor(20, TimeUnit.MINUTES);
        if (!finished) {
            suite.destroyForcibly();
        }
        String printed = Files.readString(output);
        assertThat(finished).as("suite finished in time:%n%s", printed).isTrue();
        assertThat(suite.exitValue()).as("fault suite result:%n%s", printed).isZero();
        assertThat(printed).contains("| kill -9 and restart |", "| SIGTERM rolling restart of two instances |",
                "| Kafka broker restart (own broker, producers and webhooks sending) |",
                "| three instances, one killed with kill -9 (webhooks and Kafka) |",
                "| promoter killed with kill -9 mid-batch |");
    }
}
