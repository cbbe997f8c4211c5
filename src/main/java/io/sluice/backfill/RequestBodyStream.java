package io.sluice.backfill;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * A Vert.x request body as a blocking {@link InputStream} for a worker thread, with backpressure: the request stays
 * paused and one buffer is fetched at a time, only when the reader needs it. Memory is one network buffer however
 * large the upload. Create it on the request's event loop, read it anywhere but there.
 */
final class RequestBodyStream extends InputStream {

    private static final Object END = new Object();

    private final HttpServerRequest request;
    private final Context context;
    private final Duration stall;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private Buffer current;
    private int position;
    private boolean ended;

    RequestBodyStream(HttpServerRequest request, Context context, Duration stall) {
        this.request = request;
        this.context = context;
        this.stall = stall;
        request.handler(queue::add);
        request.endHandler(v -> queue.add(END));
        request.exceptionHandler(queue::add);
    }

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        return current.getByte(position++) & 0xFF;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(length, current.length() - position);
        current.getBytes(position, position + n, bytes, offset);
        position += n;
        return n;
    }

    private boolean fill() throws IOException {
        while (current == null || position >= current.length()) {
            if (ended) {
                return false;
            }
            Object next = queue.poll();
            if (next == null) {
                context.runOnContext(v -> request.fetch(1));
                try {
                    next = queue.poll(stall.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading the upload");
                }
                if (next == null) {
                    throw new IOException("the upload stalled for " + stall.toSeconds() + " s");
                }
            }
            if (next == END) {
                ended = true;
            } else if (next instanceof Throwable failure) {
                throw new IOException("the upload broke off: " + failure.getMessage(), failure);
            } else {
                current = (Buffer) next;
                position = 0;
            }
        }
        return true;
    }
}
