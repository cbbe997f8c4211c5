package io.sluice.event.constraint;

import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;
import java.net.URI;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

import io.sluice.event.Event;
import io.sluice.event.EventType;

/** The rules that depend on {@code event_type}: which sections each type needs (SPEC.md section 3). */
@Documented
@Constraint(validatedBy = ValidEventShape.Validator.class)
@Target(TYPE)
@Retention(RUNTIME)
public @interface ValidEventShape {

    String message() default "invalid event";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    class Validator implements ConstraintValidator<ValidEventShape, Event> {

        private static final String TYPES = Arrays.stream(EventType.values())
                .map(EventType::wireName)
                .collect(Collectors.joining(", "));

        @Override
        public boolean isValid(Event event, ConstraintValidatorContext context) {
            if (event == null) {
                return true;
            }
            context.disableDefaultConstraintViolation();
            boolean valid = true;
            if (isBlank(event.userId()) && isBlank(event.anonymousId())) {
                valid = violation(context, "userId", "user_id or anonymous_id is required");
            }
            Optional<EventType> type = EventType.fromWire(event.eventType());
            if (event.eventType() != null && type.isEmpty()) {
                return violation(context, "eventType", "must be one of " + TYPES);
            }
            if (type.isEmpty()) {
                return valid;
            }
            switch (type.get()) {
                case PAGE_VIEW -> {
                    if (event.page() == null || isBlank(event.page().url())) {
                        valid = violation(context, "page.url", "is required for page_view");
                    } else if (!isAbsoluteHttpUrl(event.page().url())) {
                        valid = violation(context, "page.url", "must be an absolute http(s) URL");
                    }
                }
                case PURCHASE -> {
                    if (event.order() == null) {
                        valid = violation(context, "order", "is required for purchase");
                    }
                }
                default -> {
                    if (event.product() == null) {
                        valid = violation(context, "product", "is required for " + event.eventType());
                    }
                    if (type.get().isCart() && event.quantity() == null) {
                        valid = violation(context, "quantity", "is required for " + event.eventType());
                    }
                }
            }
            return valid;
        }

        private static boolean violation(ConstraintValidatorContext context, String path, String message) {
            var builder = context.buildConstraintViolationWithTemplate(message.replace("{", "\\{"));
            String[] nodes = path.split("\\.");
            var node = builder.addPropertyNode(nodes[0]);
            for (int i = 1; i < nodes.length; i++) {
                node = node.addPropertyNode(nodes[i]);
            }
            node.addConstraintViolation();
            return false;
        }

        private static boolean isBlank(String value) {
            return value == null || value.isBlank();
        }

        private static boolean isAbsoluteHttpUrl(String value) {
            try {
                URI uri = new URI(value);
                return uri.isAbsolute() && uri.getHost() != null
                        && ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()));
            } catch (Exception e) {
                return false;
            }
        }
    }
}
