package io.sluice.backfill;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * NDJSON: one event per line, {@code \n} or {@code \r\n}; blank lines are skipped (but counted). A line over
 * {@code maxLineBytes} is refused alone: its bytes are skipped to the next newline, never buffered.
 */
final class NdjsonLines implements LineSource {

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private byte[] line = new byte[8 * 1024];
    private long number;

    NdjsonLines(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    @Override
    public Line next() throws IOException {
        while (true) {
            int length = 0;
            boolean tooLong = false;
            boolean sawAny = false;
            while (true) {
                if (position == limit) {
                    limit = in.read(buffer, 0, buffer.length);
                    position = 0;
                    if (limit <= 0) {
                        limit = 0;
                        if (!sawAny) {
                            return null;
                        }
                        break;
                    }
                }
                sawAny = true;
                int start = position;
                while (position < limit && buffer[position] != '\n') {
                    position++;
                }
                int chunk = position - start;
                if (!tooLong) {
                    if (length + chunk > maxLineBytes) {
                        tooLong = true;
                    } else {
                        if (length + chunk > line.length) {
                            line = Arrays.copyOf(line, Math.max(line.length * 2, length + chunk));
                        }
                        System.arraycopy(buffer, start, line, length, chunk);
                        length += chunk;
                    }
                }
                if (position < limit) {
                    position++; // the newline
                    break;
                }
            }
            number++;
            if (tooLong) {
                return Line.refused(number, "line is longer than " + maxLineBytes + " bytes");
            }
            if (length > 0 && line[length - 1] == '\r') {
                length--;
            }
            if (isBlank(line, length)) {
                continue;
            }
            return Line.of(number, Arrays.copyOf(line, length));
        }
    }

    long lines() {
        return number;
    }

    private static boolean isBlank(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            byte b = bytes[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
