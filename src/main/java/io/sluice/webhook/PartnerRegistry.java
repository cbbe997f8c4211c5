package io.sluice.webhook;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.logging.Log;
import io.sluice.config.SluiceConfig;

/** The configured partners ({@code sluice.webhook.partners.<name>.*}) with their decoded signing keys. */
@ApplicationScoped
public class PartnerRegistry {

    /** An enabled partner and its current signing keys (several during a rotation). */
    public record Partner(String name, List<byte[]> keys, Optional<Integer> rateLimit) {
    }

    private final Map<String, Partner> partners;

    public PartnerRegistry(SluiceConfig config) {
        this.partners = config.webhook().partners().entrySet().stream()
                .filter(e -> e.getValue().enabled())
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> partner(e.getKey(), e.getValue())));
        Log.infof("webhook partners configured: %s", partners.keySet());
    }

    private static Partner partner(String name, SluiceConfig.Partner config) {
        try {
            List<byte[]> keys = config.secrets().stream().map(SignatureVerifier::decodeSecret).toList();
            return new Partner(name, keys, config.rateLimit());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("sluice.webhook.partners." + name
                    + ".secrets holds a value that is not whsec_<base64>", e);
        }
    }

    public Optional<Partner> find(String name) {
        return Optional.ofNullable(partners.get(name));
    }
}
