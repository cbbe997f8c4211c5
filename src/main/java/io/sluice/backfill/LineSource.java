package io.sluice.backfill;

import java.io.IOException;

/** Lines of a backfill file, read one at a time from a stream: memory is one line, whatever the file's size. */
interface LineSource {

    /** The next non-blank line, or null at the end of the file. */
    Line next() throws IOException;
}
