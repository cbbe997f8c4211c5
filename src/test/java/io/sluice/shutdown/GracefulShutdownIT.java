package io.sluice.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import io.restassured.response.Response;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;
import io.sluice.support.SluiceProcess;

/**
 * SIGTERM on the packaged jar under a stream of signed webhooks (finding 7): every request is answered 202 or 503
 * with Retry-After (or refused at connect once the port is closed, which the partner retries; the senders wait what
 * Retry-After says, as partners do), every event answered 202 is in bronze, and the process exits within the grace period (30 s, deploy/'s terminationGracePeriodSeconds).
 */
class GracefulShutdownIT {

    private record Answer(String eventId, int status, String retryAfter, String failure) {
    }

    @Test
    void sigtermUnderLoadAnswersEveryRequestAndLosesNothing() throws Exception {
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        AtomicBoolean sending = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(4);
        Optional<Duration> exit;
        try (SluiceProcess sluice = SluiceProcess.start("sluice-sigterm", Map.of("SLUICE_SHUTDOWN_DELAY", "2s"))) {
            for (int i = 0; i < 4; i++) {
                clients.submit(() -> {
                    while (sending.get()) {
                        answers.add(send(sluice.port()));
                    }
                });
            }
            Thread.sleep(3000);
            exit = sluice.terminate(Duration.ofSeconds(30));
            sending.set(false);
            clients.shutdown();
            assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            assertThat(exit).as("exit within the grace period; log:%n%s", Files.readString(sluice.log())).isPresent();
        }
        List<Answer> all = List.copyOf(answers);
        assertThat(all).filteredOn(a -> a.status() == 202).as("accepted before SIGTERM").isNotEmpty();
        assertThat(all).filteredOn(a -> a.status() == 503).as("refused while draining").isNotEmpty()
                .allSatisfy(a -> assertThat(a.retryAfter()).isNotNull());
        assertThat(all).as("every request answered 202 or 503, or refused at connect")
                .allSatisfy(a -> assertThat(a.status() == 202 || a.status() == 503 || a.failure() != null
                        && a.failure().startsWith("connect")).as("%s", a).isTrue());
        String[] accepted = all.stream().filter(a -> a.status() == 202).map(Answer::eventId).toArray(String[]::new);
        assertThat(Db.count("SELECT count(DISTINCT event_id) FROM bronze.events WHERE event_id = ANY(?)",
                (Object) accepted)).as("every 202 is durable").isEqualTo(accepted.length);
    }

    private static Answer send(int port) {
        String id = Events.freshId();
        try {
            Response response = Signer.signed(Events.pageView(id), "application/json").port(port)
                    .post("/v1/webhooks/" + Signer.DEV_PARTNER);
            Answer answer = new Answer(id, response.statusCode(), response.header("Retry-After"), null);
            if (answer.retryAfter() != null) {
                // as a partner does: wait what Retry-After says before the next attempt
                pause(Long.parseLong(answer.retryAfter()) * 1000);
            }
            return answer;
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            if (root instanceof ConnectException) {
                pause(50);
                return new Answer(id, 0, null, "connect: " + root.getMessage());
            }
            return new Answer(id, 0, null, root.toString());
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
