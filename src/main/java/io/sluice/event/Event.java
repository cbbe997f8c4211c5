package io.sluice.event;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import io.sluice.event.constraint.IdChars;
import io.sluice.event.constraint.Iso4217;
import io.sluice.event.constraint.Rfc3339;
import io.sluice.event.constraint.ValidEventShape;

/**
 * The canonical e-commerce event (SPEC.md section 3), as validated. Fields it does not name are kept
 * elsewhere (bronze keeps the payload as received, silver moves them into {@code attributes}).
 */
@ValidEventShape
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Event(
        @NotBlank @Size(max = 128) @IdChars String eventId,
        @NotNull String eventType,
        @NotNull @Rfc3339 String occurredAt,
        @Size(max = 128) String userId,
        @Size(max = 128) String anonymousId,
        @Size(max = 128) String sessionId,
        @Valid Page page,
        @Valid Product product,
        @Min(1) @Max(10000) Integer quantity,
        @Valid Order order,
        @Valid Context context,
        Map<String, Object> properties,
        @Min(1) Integer schemaVersion) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Page(@Size(max = 2048) String url, @Size(max = 2048) String referrer,
            @Size(max = 1024) String title) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Product(
            @NotBlank @Size(max = 128) String sku,
            @Size(max = 512) String name,
            @Size(max = 256) String category,
            @Size(max = 256) String brand,
            @DecimalMin("0") @Digits(integer = 18, fraction = 8) BigDecimal price,
            @Iso4217 String currency) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Order(
            @NotBlank @Size(max = 128) String orderId,
            @NotNull @Iso4217 String currency,
            @NotNull @DecimalMin("0") @Digits(integer = 18, fraction = 8) BigDecimal total,
            @NotEmpty @Size(max = 500) List<@Valid @NotNull OrderItem> items) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record OrderItem(
            @NotBlank @Size(max = 128) String sku,
            @Size(max = 512) String name,
            @Size(max = 256) String category,
            @Size(max = 256) String brand,
            @NotNull @Min(1) @Max(10000) Integer quantity,
            @NotNull @DecimalMin("0") @Digits(integer = 18, fraction = 8) BigDecimal unitPrice) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Context(@Size(max = 64) String ip, @Size(max = 1024) String userAgent,
            @Size(max = 64) String locale) {
    }
}
