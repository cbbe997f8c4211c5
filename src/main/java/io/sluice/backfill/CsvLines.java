package io.sluice.backfill;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;

/**
 * CSV with a header row of field paths ({@code event_id}, {@code product.sku}, {@code order.items} ...): each record
 * becomes one JSON event. An empty cell is an absent field; a cell that starts with {@code {} or {@code [} is JSON
 * ({@code order.items}); the numeric fields of SPEC.md section 3 ({@code quantity}, {@code schema_version},
 * {@code product.price}, {@code order.total}) are exact decimals; everything else is a string. Record numbers count
 * the header as 1.
 */
final class CsvLines implements LineSource {

    static final Set<String> NUMERIC = Set.of("quantity", "schema_version", "product.price", "order.total");

    private static final CsvMapper CSV = CsvMapper.builder().enable(CsvParser.Feature.WRAP_AS_ARRAY).build();
    private static final ObjectMapper JSON = new ObjectMapper()
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final Iterator<String[]> records;
    private final int maxLineBytes;
    private String[][] header;
    private long number;

    CsvLines(InputStream in, int maxLineBytes) throws IOException {
        MappingIterator<String[]> iterator = CSV.readerFor(String[].class).readValues(in);
        this.records = iterator;
        this.maxLineBytes = maxLineBytes;
    }

    @Override
    public Line next() throws IOException {
        try {
            if (header == null) {
                if (!records.hasNext()) {
                    return null;
                }
                String[] names = records.next();
                number++;
                header = new String[names.length][];
                for (int i = 0; i < names.length; i++) {
                    header[i] = names[i].strip().split("\\.", -1);
                }
            }
            while (records.hasNext()) {
                String[] cells = records.next();
                number++;
                if (cells.length == 0 || cells.length == 1 && cells[0].isBlank()) {
                    continue;
                }
                return line(cells);
            }
            return null;
        } catch (RuntimeException e) {
            throw new IOException("CSV is unreadable after record " + number + ": " + e.getMessage(), e);
        }
    }

    private Line line(String[] cells) {
        if (cells.length > header.length) {
            return Line.refused(number, "record has " + cells.length + " cells, the header " + header.length);
        }
        ObjectNode event = JSON.createObjectNode();
        for (int i = 0; i < cells.length; i++) {
            String cell = cells[i];
            if (cell == null || cell.isEmpty()) {
                continue;
            }
            String[] path = header[i];
            ObjectNode parent = event;
            for (int k = 0; k < path.length - 1; k++) {
                JsonNode child = parent.get(path[k]);
                parent = child instanceof ObjectNode object ? object : parent.putObject(path[k]);
            }
            try {
                parent.set(path[path.length - 1], value(String.join(".", path), cell));
            } catch (JsonProcessingException e) {
                return Line.refused(number, String.join(".", path) + " is not valid JSON: " + e.getOriginalMessage());
            }
        }
        byte[] json = event.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (json.length > maxLineBytes) {
            return Line.refused(number, "record is larger than " + maxLineBytes + " bytes");
        }
        return Line.of(number, json);
    }

    private static JsonNode value(String path, String cell) throws JsonProcessingException {
        String trimmed = cell.strip();
        if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
            return JSON.readTree(trimmed);
        }
        if (NUMERIC.contains(path)) {
            try {
                BigDecimal number = new BigDecimal(trimmed);
                return number.scale() <= 0 && !trimmed.contains(".")
                        ? JsonNodeFactory.instance.numberNode(number.toBigIntegerExact())
                        : JsonNodeFactory.withExactBigDecimals(true).numberNode(number);
            } catch (NumberFormatException | ArithmeticException e) {
                return JsonNodeFactory.instance.textNode(cell);
            }
        }
        return JsonNodeFactory.instance.textNode(cell);
    }
}
