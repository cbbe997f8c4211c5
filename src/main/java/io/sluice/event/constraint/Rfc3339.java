package io.sluice.event.constraint;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.ElementType.RECORD_COMPONENT;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

import io.sluice.event.Timestamps;

/** An RFC 3339 timestamp with an explicit offset ({@code 2026-11-21T10:00:00Z}); null is valid. */
@Documented
@Constraint(validatedBy = Rfc3339.Validator.class)
@Target({FIELD, PARAMETER, RECORD_COMPONENT})
@Retention(RUNTIME)
public @interface Rfc3339 {

    String message() default "must be an RFC 3339 timestamp with offset, e.g. 2026-11-21T10:00:00Z";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    class Validator implements ConstraintValidator<Rfc3339, String> {

        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            return value == null || Timestamps.parse(value).isPresent();
        }
    }
}
