package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;

import org.junit.jupiter.api.Test;

import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

/** Which database failures retry a whole promotion round, and which ones point at an event (pure). */
class TransientDatabaseExceptionTest {

    @Test
    void lostConnectionsDeadlocksAndOverloadAreTransient() {
        assertThat(TransientDatabaseException.classify(ClosedConnectionException.INSTANCE))
                .isInstanceOf(TransientDatabaseException.class);
        assertThat(TransientDatabaseException.classify(new ConnectException("Connection refused")))
                .isInstanceOf(TransientDatabaseException.class);
        for (String state : new String[]{"40P01", "40001", "08006", "53300", "57P01"}) {
            assertThat(TransientDatabaseException.classify(pg(state))).as(state)
                    .isInstanceOf(TransientDatabaseException.class);
        }
    }

    @Test
    void constraintAndDataErrorsAreNot() {
        for (String state : new String[]{"23502", "23505", "22003", "42703"}) {
            Throwable failure = pg(state);
            assertThat(TransientDatabaseException.classify(failure)).as(state).isSameAs(failure);
        }
        IllegalArgumentException transformFailure = new IllegalArgumentException("occurred_at is not RFC 3339");
        assertThat(TransientDatabaseException.classify(transformFailure)).isSameAs(transformFailure);
    }

    private static PgException pg(String sqlState) {
        return new PgException("failure " + sqlState, "ERROR", sqlState, "detail");
    }
}
