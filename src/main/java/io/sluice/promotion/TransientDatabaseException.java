package io.sluice.promotion;

import io.sluice.bronze.DatabaseFailures;

/**
 * A database failure that says nothing about the events: a lost connection, a deadlock, a serialization failure, an
 * overloaded or restarting server. The promotion round that met it is retried as a whole; the events' attempts are
 * not counted.
 */
public class TransientDatabaseException extends RuntimeException {

    public TransientDatabaseException(Throwable cause) {
        super(cause.toString(), cause);
    }

    /** The failure as a TransientDatabaseException when it is one, unchanged otherwise. */
    public static Throwable classify(Throwable failure) {
        return isTransient(failure) ? new TransientDatabaseException(failure) : failure;
    }

    /** The shared policy ({@link DatabaseFailures}), or a failure already classified. */
    static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TransientDatabaseException) {
                return true;
            }
        }
        return DatabaseFailures.isTransient(failure);
    }
}
