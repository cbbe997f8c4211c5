package io.sluice.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.error.Disconnects;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;
import io.vertx.core.http.HttpClosedException;

/**
 * A partner that closes the connection in the middle of its request body is nobody's error: nothing is stored, and
 * the door logs it at debug, not as an ERROR (Quarkus's error handler did, once per disconnect, and under overload
 * the log filled with them). Real failures are still errors ({@link Disconnects} recognises only a closed
 * connection or a write to a closed response).
 */
@QuarkusTest
class ClientDisconnectTest {

    @TestHTTPResource("/")
    URL server;

    @Test
    void aClientThatClosesMidBodyIsLoggedAtDebugAndNothingIsStored() throws Exception {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {

            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        Logger root = Logger.getLogger("");
        Logger door = Logger.getLogger(BodyLimit.class.getName());
        Level before = door.getLevel();
        door.setLevel(Level.FINE);
        root.addHandler(capture);
        String id = Events.freshId();
        try {
            byte[] body = ("[" + Events.pageView(id) + "]").getBytes(StandardCharsets.UTF_8);
            String webhookId = "msg_" + UUID.randomUUID();
            long now = Instant.now().getEpochSecond();
            String head = "POST /v1/webhooks/" + Signer.DEV_PARTNER + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n"
                    + "webhook-id: " + webhookId + "\r\nwebhook-timestamp: " + now + "\r\n"
                    + "webhook-signature: " + Signer.signature(Signer.DEV_SECRET, webhookId, now,
                            new String(body, StandardCharsets.UTF_8))
                    + "\r\n\r\n";
            try (Socket socket = new Socket(server.getHost(), server.getPort())) {
                OutputStream out = socket.getOutputStream();
                out.write(head.getBytes(StandardCharsets.UTF_8));
                out.write(body, 0, body.length / 2);
                out.flush();
                Thread.sleep(200);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(records)
                    .as("the disconnect, at debug").anyMatch(r -> r.getLevel().intValue() <= Level.FINE.intValue()
                            && String.valueOf(r.getMessage()).contains("the client went away")));
        } finally {
            root.removeHandler(capture);
            door.setLevel(before);
        }
        assertThat(records).as("no warning or error about the closed connection")
                .noneMatch(r -> r.getLevel().intValue() >= Level.WARNING.intValue()
                        && (String.valueOf(r.getMessage()).contains("closed") || r.getThrown() != null
                                && Disconnects.clientGone(r.getThrown())));
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", id)).isZero();
    }

    @Test
    void onlyAClosedConnectionOrAWriteToAClosedResponseCountsAsTheClientGone() {
        assertThat(Disconnects.clientGone(new HttpClosedException("Connection was closed"))).isTrue();
        assertThat(Disconnects.clientGone(new IllegalStateException("Response has already been written"))).isTrue();
        assertThat(Disconnects.clientGone(new RuntimeException("wrapped",
                new HttpClosedException("Connection was closed")))).isTrue();
        assertThat(Disconnects.clientGone(new java.nio.channels.ClosedChannelException()))
                .as("a lost database or broker connection is a real error").isFalse();
        assertThat(Disconnects.clientGone(new IllegalStateException("a defect of ours"))).isFalse();
        assertThat(Disconnects.clientGone(new NullPointerException())).isFalse();
        assertThat(Disconnects.clientGone(null)).isFalse();
    }
}
