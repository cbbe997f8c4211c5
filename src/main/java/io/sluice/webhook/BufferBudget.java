package io.sluice.webhook;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.sluice.config.SluiceConfig;
import io.sluice.metrics.SluiceMetrics;

/**
 * The heap webhook bodies may hold across all requests of this instance ({@code sluice.webhook.max-buffered-bytes}
 * and {@code max-buffered-requests}): {@link BodyLimit} asks for a {@link Hold} before it reads a body, and the hold
 * is released when the answer is written or the connection closes. Overload therefore ends in 503s, never in an
 * {@code OutOfMemoryError}: what is not admitted is never read.
 */
@ApplicationScoped
public class BufferBudget {

    private final long maxBytes;
    private final int maxRequests;
    private long bytes;
    private int requests;

    public BufferBudget(SluiceConfig config, SluiceMetrics metrics) {
        this.maxBytes = config.webhook().maxBufferedBytes();
        this.maxRequests = config.webhook().maxBufferedRequests();
        metrics.webhookBuffered(this::bytes, this::requests);
    }

    /**
     * A hold of {@code declared} bytes for one request, or empty when the budget cannot take it. A request is always
     * admitted when no other body is held, so a body larger than the budget is slow, never refused for ever.
     */
    public synchronized Optional<Hold> admit(long declared) {
        if (requests >= maxRequests || bytes > 0 && bytes + declared > maxBytes) {
            return Optional.empty();
        }
        requests++;
        bytes += declared;
        return Optional.of(new Hold(declared));
    }

    public synchronized long bytes() {
        return bytes;
    }

    public synchronized int requests() {
        return requests;
    }

    private synchronized boolean grow(Hold hold, long more) {
        if (hold.released || bytes > hold.held && bytes + more > maxBytes) {
            return false;
        }
        bytes += more;
        hold.held += more;
        return true;
    }

    private synchronized void release(Hold hold) {
        if (!hold.released) {
            hold.released = true;
            bytes -= hold.held;
            requests--;
        }
    }

    /** One admitted request's share of the budget; released once, however often {@link #release()} is called. */
    public final class Hold {

        private long held;
        private boolean released;

        private Hold(long held) {
            this.held = held;
        }

        /** Takes {@code more} bytes for a body without a declared length; false when the budget cannot take them. */
        public boolean grow(long more) {
            return BufferBudget.this.grow(this, more);
        }

        public void release() {
            BufferBudget.this.release(this);
        }
    }
}
