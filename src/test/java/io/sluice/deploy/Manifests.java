package io.sluice.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/**
 * Loads deploy/ with fabric8's Kubernetes model: core kinds into their typed classes (where any field the model does
 * not know lands in an {@code additionalProperties} map, reported by {@link #unknownFields}), custom resources
 * (KEDA, Prometheus Operator, CloudNativePG, Strimzi) as {@link GenericKubernetesResource}.
 */
final class Manifests {

    static final Path DEPLOY = Path.of("deploy").toAbsolutePath();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static final Map<String, Class<? extends HasMetadata>> CORE = Map.of(
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Secret", Secret.class,
            "v1/Service", Service.class,
            "apps/v1/Deployment", Deployment.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class,
            "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class);

    /** One document of a manifest file. */
    record Doc(Path file, JsonNode tree, HasMetadata object) {

        String kind() {
            return tree.path("kind").asText();
        }

        String name() {
            return tree.path("metadata").path("name").asText();
        }

        boolean core() {
            return !(object instanceof GenericKubernetesResource);
        }
    }

    private Manifests() {
    }

    static List<Path> yamlFiles() {
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            return files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isKustomization(Path file) {
        return file.getFileName().toString().equals("kustomization.yaml");
    }

    static List<JsonNode> trees(Path file) {
        try (var parser = YAML.getFactory().createParser(file.toFile())) {
            List<JsonNode> trees = new ArrayList<>();
            YAML.readValues(parser, JsonNode.class).forEachRemaining(tree -> {
                if (tree != null && !tree.isNull() && !tree.isEmpty()) {
                    trees.add(tree);
                }
            });
            return trees;
        } catch (IOException e) {
            throw new UncheckedIOException(file + " is not YAML", e);
        }
    }

    static List<Doc> docs(Path file) {
        List<Doc> docs = new ArrayList<>();
        for (JsonNode tree : trees(file)) {
            String key = tree.path("apiVersion").asText() + "/" + tree.path("kind").asText();
            Class<? extends HasMetadata> type = CORE.getOrDefault(key, GenericKubernetesResource.class);
            try {
                docs.add(new Doc(file, tree, YAML.treeToValue(tree, type)));
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": " + key + " does not load as " + type.getSimpleName(), e);
            }
        }
        return docs;
    }

    /** The documents of every resource a kustomization pulls in, following directories to their kustomization. */
    static List<Doc> build(Path kustomizationDir) {
        List<Doc> docs = new ArrayList<>();
        JsonNode kustomization = trees(kustomizationDir.resolve("kustomization.yaml")).get(0);
        for (JsonNode resource : kustomization.path("resources")) {
            Path path = kustomizationDir.resolve(resource.asText()).normalize();
            docs.addAll(Files.isDirectory(path) ? build(path) : docs(path));
        }
        return docs;
    }

    /** Paths ({@code spec.template.spec.containers[0].readinesProbe}) of fields the typed model did not recognise. */
    static List<String> unknownFields(Object model) {
        List<String> unknown = new ArrayList<>();
        walk(model, model.getClass().getSimpleName(), unknown);
        return unknown;
    }

    private static void walk(Object value, String path, List<String> unknown) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "." + k, unknown));
            return;
        }
        if (!value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            String name = getter.getName().replaceFirst("^(get|is)", "");
            if (name.equals("AdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> unknown.add(path + "." + k));
                }
                continue;
            }
            walk(child, path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1), unknown);
        }
    }
}
