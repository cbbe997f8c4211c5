package io.sluice.error;

import io.vertx.core.http.HttpClosedException;

/**
 * Recognises the failures that only say the client went away mid-request (it closed the connection while its body
 * was read or before its answer was written): nothing to answer and nothing wrong with Sluice, so they are logged at
 * debug, never as errors. Anything else is not one of them: a closed channel in general (a database or broker
 * connection lost) stays an error.
 */
public final class Disconnects {

    private static final String[] WRITTEN = {"Response has already been written", "Response is closed"};

    private Disconnects() {
    }

    /**
     * True when {@code failure} (or one of its causes) is the HTTP connection closed by the client, or a write to a
     * response that was closed with it.
     */
    public static boolean clientGone(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpClosedException) {
                return true;
            }
            if (t instanceof IllegalStateException && t.getMessage() != null) {
                for (String written : WRITTEN) {
                    if (t.getMessage().startsWith(written)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
