package io.sluice.event;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Path;
import jakarta.validation.Validator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;

import io.sluice.event.EventDecoder.DecodedEvent;

/**
 * Checks one canonical event against SPEC.md section 3: binds it to {@link Event} (type errors become violations)
 * and runs Bean Validation plus the clock-dependent rule on {@code occurred_at}. Pure: no I/O, thread-safe.
 */
public final class EventValidator {

    private final ObjectMapper mapper;
    private final ObjectReader events;
    private final Validator validator;
    private final Clock clock;
    private final Duration maxFutureSkew;

    public EventValidator(ObjectMapper mapper, Validator validator, Clock clock, Duration maxFutureSkew) {
        this.mapper = mapper.copy()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        // A string field given a number or a boolean is the wrong type, not a string (event_id 123 is no event_id).
        this.mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        this.events = this.mapper.readerFor(Event.class);
        this.validator = validator;
        this.clock = clock;
        this.maxFutureSkew = maxFutureSkew;
    }

    /**
     * The violations of one decoded event, sorted by field; empty when it is valid. A native event is bound from its
     * compact bytes in one pass (no tree); a CloudEvent from its mapped tree.
     */
    public List<Violation> validate(DecodedEvent decoded) {
        if (decoded.canonicalTree() != null || decoded.canonicalJson() == null) {
            return decoded.hasCanonical()
                    ? validate(decoded.canonicalTree())
                    : List.of(new Violation("$", "must be a JSON object"));
        }
        Event event;
        try {
            event = events.readValue(decoded.canonicalJson());
        } catch (JsonProcessingException e) {
            return List.of(bindingViolation(e));
        } catch (IOException e) {
            throw new UncheckedIOException("compact JSON of a decoded event could not be read", e);
        }
        return check(event);
    }

    /** The violations of one canonical event, sorted by field; empty when the event is valid. */
    public List<Violation> validate(ObjectNode canonical) {
        Event event;
        try {
            event = mapper.treeToValue(canonical, Event.class);
        } catch (JsonProcessingException e) {
            return List.of(bindingViolation(e));
        }
        return check(event);
    }

    private List<Violation> check(Event event) {
        List<Violation> violations = new ArrayList<>();
        for (ConstraintViolation<Event> v : validator.validate(event)) {
            violations.add(new Violation(jsonPath(v.getPropertyPath()), v.getMessage()));
        }
        Timestamps.parse(event.occurredAt())
                .filter(this::tooFarInFuture)
                .ifPresent(t -> violations.add(new Violation("occurred_at",
                        "must not be more than " + maxFutureSkew.toSeconds() + " s in the future")));
        violations.sort(Comparator.comparing(Violation::field).thenComparing(Violation::message));
        return violations;
    }

    private boolean tooFarInFuture(OffsetDateTime occurredAt) {
        return occurredAt.toInstant().isAfter(clock.instant().plus(maxFutureSkew));
    }

    private static Violation bindingViolation(JsonProcessingException e) {
        String field = "";
        if (e instanceof JsonMappingException mapping) {
            StringBuilder path = new StringBuilder();
            for (JsonMappingException.Reference ref : mapping.getPath()) {
                if (ref.getFieldName() != null) {
                    path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
                } else if (ref.getIndex() >= 0) {
                    path.append('[').append(ref.getIndex()).append(']');
                }
            }
            field = path.toString();
        }
        if (e.getCause() instanceof InputCoercionException || e instanceof InputCoercionException) {
            return new Violation(field.isEmpty() ? "$" : field, "is out of range: expected an integer up to "
                    + Integer.MAX_VALUE);
        }
        String expected = "a value of another type";
        if (e instanceof InvalidFormatException format) {
            expected = describe(format.getTargetType());
        } else if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            expected = describe(mismatch.getTargetType());
        }
        return new Violation(field.isEmpty() ? "$" : field, "has the wrong type: expected " + expected);
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "a value of another type";
        }
        if (type == Integer.class || type == int.class || type == Long.class) {
            return "an integer";
        }
        if (type == java.math.BigDecimal.class) {
            return "a decimal number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "an object";
    }

    /** {@code order.items[0].unitPrice} becomes {@code order.items[0].unit_price}. */
    static String jsonPath(Path path) {
        StringBuilder out = new StringBuilder();
        for (Path.Node node : path) {
            if (node.isInIterable() && node.getIndex() != null) {
                out.append('[').append(node.getIndex()).append(']');
            }
            if (node.getName() != null && !node.getName().startsWith("<")) {
                out.append(out.isEmpty() ? "" : ".").append(snakeCase(node.getName()));
            }
        }
        return out.isEmpty() ? "$" : out.toString();
    }

    static String snakeCase(String camel) {
        StringBuilder out = new StringBuilder(camel.length() + 4);
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append('_').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
