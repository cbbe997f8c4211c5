package io.sluice.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Runs after packaging (no Docker engine here): every path Dockerfile.jvm copies exists, the native COPY pattern
 * names what a native build produces, .dockerignore lets exactly those into the build context, and both images run as
 * a non-root user.
 */
class DockerfileIT {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path DOCKER = ROOT.resolve("src/main/docker");

    @Test
    void everyPathTheJvmImageCopiesExistsAfterPackaging() throws IOException {
        List<String> sources = copySources(DOCKER.resolve("Dockerfile.jvm"));

        assertThat(sources).isNotEmpty();
        for (String source : sources) {
            assertThat(matches(source)).as("COPY %s matches something after packaging", source).isNotEmpty();
        }
        assertThat(ROOT.resolve("target/quarkus-app/quarkus-run.jar")).exists();
    }

    @Test
    void theNativeImageCopiesTheRunnerANativeBuildNames() throws IOException {
        List<String> sources = copySources(DOCKER.resolve("Dockerfile.native"));
        String jar;
        try (Stream<Path> files = Files.list(ROOT.resolve("target"))) {
            jar = files.map(p -> p.getFileName().toString())
                    .filter(name -> name.matches("sluice-.*\\.jar") && !name.contains("-runner"))
                    .findFirst().orElseThrow();
        }
        String runner = "target/" + jar.substring(0, jar.length() - ".jar".length()) + "-runner";

        assertThat(sources).singleElement()
                .satisfies(source -> assertThat(glob(source).matches(Path.of(runner))).as(runner).isTrue());
        assertThat(inContext(runner)).as(".dockerignore lets %s in", runner).isTrue();
    }

    @Test
    void dockerignoreKeepsTheContextToWhatIsCopied() throws IOException {
        assertThat(dockerignore().get(0)).isEqualTo("*");
        for (String source : copySources(DOCKER.resolve("Dockerfile.jvm"))) {
            for (Path path : matches(source)) {
                assertThat(inContext(ROOT.relativize(path).toString())).as(".dockerignore lets %s in", path).isTrue();
            }
        }
        assertThat(inContext("src/main/java/io/sluice/admin/AdminResource.java")).isFalse();
        assertThat(inContext("target/classes/application.properties")).isFalse();
        assertThat(inContext(".git/config")).isFalse();
    }

    @Test
    void bothImagesRunAsANonRootUser() throws IOException {
        for (String file : List.of("Dockerfile.jvm", "Dockerfile.native")) {
            List<String> users = Files.readAllLines(DOCKER.resolve(file)).stream()
                    .map(String::strip).filter(line -> line.startsWith("USER ")).toList();
            assertThat(users).as(file).isNotEmpty();
            String last = users.get(users.size() - 1).substring("USER ".length()).strip();
            assertThat(last).as(file).isNotIn("0", "root").matches("[0-9]+(:[0-9a-z]+)?");
        }
    }

    /** The source paths of every COPY (flags dropped, the destination last). */
    static List<String> copySources(Path dockerfile) throws IOException {
        List<String> sources = new ArrayList<>();
        for (String line : Files.readAllLines(dockerfile)) {
            String[] words = line.strip().split("\\s+");
            if (words.length < 3 || !words[0].equalsIgnoreCase("COPY")) {
                continue;
            }
            List<String> args = Stream.of(words).skip(1).filter(w -> !w.startsWith("--")).toList();
            sources.addAll(args.subList(0, args.size() - 1));
        }
        return sources;
    }

    private static List<Path> matches(String source) throws IOException {
        String pattern = source.endsWith("/") ? source.substring(0, source.length() - 1) : source;
        PathMatcher matcher = glob(pattern);
        Path base = ROOT.resolve(pattern).getParent();
        if (!Files.isDirectory(base)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(base)) {
            return files.filter(p -> matcher.matches(ROOT.relativize(p)))
                    .filter(p -> !source.endsWith("/") || Files.isDirectory(p))
                    .toList();
        }
    }

    private static PathMatcher glob(String pattern) {
        return FileSystems.getDefault().getPathMatcher("glob:" + pattern);
    }

    private static List<String> dockerignore() throws IOException {
        return Files.readAllLines(ROOT.resolve(".dockerignore")).stream()
                .map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
    }

    /**
     * Docker's rule: the last pattern that matches the path or one of its parent directories decides; a pattern
     * starting with {@code !} lets the path back in.
     */
    static boolean inContext(String path) throws IOException {
        boolean included = true;
        Path relative = Path.of(path);
        for (String line : dockerignore()) {
            boolean exception = line.startsWith("!");
            PathMatcher matcher = glob(exception ? line.substring(1) : line);
            for (int n = 1; n <= relative.getNameCount(); n++) {
                if (matcher.matches(relative.subpath(0, n))) {
                    included = exception;
                    break;
                }
            }
        }
        return included;
    }
}
