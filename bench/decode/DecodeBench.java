import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import jakarta.validation.Validation;
import jakarta.validation.Validator;

import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.sluice.event.EventDecoder;
import io.sluice.event.EventValidator;

/**
 * The CPU one event costs in the decoder and the validator, alone in one JVM (no HTTP, Kafka or PostgreSQL): each
 * value of a file of {@code key<TAB>json} lines (what {@code WebhookBench kafka} writes) decoded as a Kafka record
 * is, then validated as the pipeline validates it. Prints microseconds per event for each timed round after the
 * warm-up rounds, and their median. Run by bench/decode/run.
 * <p>
 * The validator is plain Hibernate Validator with a traversable resolver that answers yes, as Quarkus configures it
 * (its default one asks Jakarta Persistence about every property when Hibernate Reactive is on the classpath).
 */
public class DecodeBench {

    private static final int WARMUP_ROUNDS = 6;
    private static final int ROUNDS = 10;
    private static final int REPEATS = 50;

    public static void main(String[] args) throws Exception {
        List<byte[]> values = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            values.add(line.substring(line.indexOf('\t') + 1).getBytes(StandardCharsets.UTF_8));
        }
        EventDecoder decoder = new EventDecoder(32, 1 << 20, 1000);
        EventValidator validator = new EventValidator(new ObjectMapper(), validator(), Clock.systemUTC(),
                Duration.ofMinutes(5));
        for (String mode : new String[] {"decode", "decode+validate"}) {
            boolean validate = mode.equals("decode+validate");
            double[] rounds = new double[ROUNDS];
            long sink = 0;
            for (int round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
                long started = System.nanoTime();
                for (int repeat = 0; repeat < REPEATS; repeat++) {
                    for (byte[] value : values) {
                        var decoded = (EventDecoder.Events) decoder.decode(value, EventDecoder.Format.NATIVE, Map.of());
                        var event = decoded.events().get(0);
                        sink += validate ? validator.validate(event).size() : event.payloadJson().length;
                    }
                }
                double us = (System.nanoTime() - started) / 1000.0 / ((long) REPEATS * values.size());
                if (round >= 0) {
                    rounds[round] = us;
                    System.out.printf("%s round %d: %.2f us/event%n", mode, round + 1, us);
                }
            }
            Arrays.sort(rounds);
            System.out.printf("RESULT %s: median %.2f us/event over %d rounds of %d events (checksum %d)%n", mode,
                    (rounds[ROUNDS / 2 - 1] + rounds[ROUNDS / 2]) / 2, ROUNDS, REPEATS * values.size(), sink % 1000);
        }
    }

    private static Validator validator() {
        return Validation.byDefaultProvider().configure()
                .messageInterpolator(new ParameterMessageInterpolator())
                .traversableResolver(new jakarta.validation.TraversableResolver() {
                    @Override
                    public boolean isReachable(Object bean, jakarta.validation.Path.Node node, Class<?> root,
                            jakarta.validation.Path path, java.lang.annotation.ElementType type) {
                        return true;
                    }

                    @Override
                    public boolean isCascadable(Object bean, jakarta.validation.Path.Node node, Class<?> root,
                            jakarta.validation.Path path, java.lang.annotation.ElementType type) {
                        return true;
                    }
                })
                .buildValidatorFactory().getValidator();
    }
}
