package io.sluice.bronze;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;

/**
 * The one policy that sorts database failures, shared by every door and by promotion (issue 10): a transient failure
 * says nothing about the events (retry the same work later: webhook 503, Kafka pause and retry, promotion backoff);
 * a data exception says PostgreSQL refuses a value of one event (isolate that event, never the batch); anything else
 * is a defect of Sluice's (logged, answered like a transient failure, never a 500).
 */
public final class DatabaseFailures {

    /** SQLSTATE classes: connection exception, transaction rollback, insufficient resources, operator intervention. */
    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "40", "53", "57", "58");
    /** SQLSTATE class 22: data exception (a value PostgreSQL cannot take: 22P05, 22P02, 22003 ...). */
    private static final String DATA_EXCEPTION_CLASS = "22";

    private DatabaseFailures() {
    }

    /** A lost or refused connection, a timeout, a deadlock, an overloaded or restarting server. */
    public static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ClosedConnectionException || t instanceof IOException || t instanceof TimeoutException) {
                return true;
            }
            if (t instanceof DatabaseException db && db.getSqlState() != null && db.getSqlState().length() >= 2) {
                return TRANSIENT_CLASSES.contains(db.getSqlState().substring(0, 2));
            }
            // the pool's "Timeout" (no connection available in time) and a connection closed under a request
            if (t instanceof NoStackTraceThrowable || t instanceof io.vertx.core.VertxException
                    && String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("closed")) {
                return true;
            }
        }
        return false;
    }

    /** PostgreSQL refused a value (SQLSTATE class 22): retrying the same rows cannot succeed. */
    public static boolean isDataException(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DatabaseException db && db.getSqlState() != null) {
                return db.getSqlState().startsWith(DATA_EXCEPTION_CLASS);
            }
        }
        return false;
    }
}
