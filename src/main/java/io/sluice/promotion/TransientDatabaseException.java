package io.sluice.promotion;

import java.io.IOException;
import java.util.Set;

import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;

/**
 * A database failure that says nothing about the events: a lost connection, a deadlock, a serialization failure, an
 * overloaded or restarting server. The promotion round that met it is retried as a whole; the events' attempts are
 * not counted.
 */
public class TransientDatabaseException extends RuntimeException {

    /** SQLSTATE classes: connection exception, transaction rollback, insufficient resources, operator intervention. */
    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "40", "53", "57", "58");

    public TransientDatabaseException(Throwable cause) {
        super(cause.toString(), cause);
    }

    /** The failure as a TransientDatabaseException when it is one, unchanged otherwise. */
    public static Throwable classify(Throwable failure) {
        return isTransient(failure) ? new TransientDatabaseException(failure) : failure;
    }

    static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TransientDatabaseException || t instanceof ClosedConnectionException
                    || t instanceof IOException) {
                return true;
            }
            if (t instanceof DatabaseException db && db.getSqlState() != null && db.getSqlState().length() >= 2) {
                return TRANSIENT_CLASSES.contains(db.getSqlState().substring(0, 2));
            }
            // the pool's "Timeout" (no connection available in time) and a connection closed under a request
            if (t instanceof NoStackTraceThrowable || t instanceof io.vertx.core.VertxException
                    && String.valueOf(t.getMessage()).toLowerCase().contains("closed")) {
                return true;
            }
        }
        return false;
    }
}
