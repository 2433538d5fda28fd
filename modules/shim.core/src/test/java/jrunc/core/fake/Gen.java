package jrunc.core.fake;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Random input for the property tests, from one seed: each seed is one case, named in the test's display name, so
 * a failure replays exactly with that seed. Values lean towards the edges (0, -1, the extremes) as often as a
 * careless parser would trip on them.
 *
 * <p>{@code -Djrunc.property.cases=N} runs N cases instead of each test's default, for a long run by hand;
 * {@code -Djrunc.property.seed=S} runs only the case of seed S, to replay a failure.
 */
public final class Gen {
    private static final String CASES_PROPERTY = "jrunc.property.cases";
    private static final String SEED_PROPERTY = "jrunc.property.seed";
    /** Characters a name or a message may be made of: ASCII, controls, a newline, non-Latin, a surrogate pair. */
    private static final String[] PIECES = {"a", "z", "0", "-", ".", "/", " ", "\n", "\t", "\0", "\u001b", "é", "ü",
        "漢", "Ж", "\uD83D\uDE00", "..", "%", "\\", "\"", "="};

    private final Random random;

    public Gen(long seed) {
        this.random = new Random(seed);
    }

    /** {@code cases} seeds from {@code base} on (or those {@code -Djrunc.property.cases}/{@code .seed} ask for). */
    public static Stream<Long> seeds(long base, int cases) {
        Long only = Long.getLong(SEED_PROPERTY);
        if (only != null) return Stream.of(only);
        int n = Integer.getInteger(CASES_PROPERTY, cases);
        return LongStream.range(base, base + n).boxed();
    }

    /** Uniform in {@code [min, max]}. */
    public int between(int min, int max) {
        return (int) between((long) min, max);
    }

    /** Uniform in {@code [min, max]}. */
    public long between(long min, long max) {
        if (max < min) throw new IllegalArgumentException(min + " > " + max);
        if (max < Long.MAX_VALUE) return random.nextLong(min, max + 1);
        return min == Long.MIN_VALUE ? random.nextLong() : random.nextLong(min - 1, max) + 1;
    }

    /** True once in {@code n} times. */
    public boolean oneIn(int n) {
        return random.nextInt(n) == 0;
    }

    public boolean bool() {
        return random.nextBoolean();
    }

    /** Any int, one time in eight an edge one. */
    public int anyInt() {
        return oneIn(8) ? pick(0, 1, -1, 2, Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 1) : random.nextInt();
    }

    /** Any long, one time in eight an edge one. */
    public long anyLong() {
        return oneIn(8) ? pick(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, (long) Integer.MAX_VALUE + 1) : random.nextLong();
    }

    public byte anyByte() {
        return (byte) random.nextInt(256);
    }

    /** Which of {@code weights.length} choices, each as likely as its weight. */
    public int weighted(int... weights) {
        int total = 0;
        for (int w : weights) total += w;
        int at = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            at -= weights[i];
            if (at < 0) return i;
        }
        throw new AssertionError();
    }

    @SafeVarargs
    public final <T> T pick(T... from) {
        return from[random.nextInt(from.length)];
    }

    public <T> T pick(List<T> from) {
        return from.get(random.nextInt(from.size()));
    }

    /** 0 to {@code max} random bytes, empty one time in ten. */
    public byte[] bytes(int max) {
        byte[] b = new byte[oneIn(10) ? 0 : random.nextInt(max + 1)];
        random.nextBytes(b);
        return b;
    }

    /** 0 to {@code maxPieces} pieces of text of every kind: ASCII, controls, separators, non-Latin, emoji. */
    public String string(int maxPieces) {
        StringBuilder out = new StringBuilder();
        for (int i = 0, n = random.nextInt(maxPieces + 1); i < n; i++) {
            out.append(oneIn(4) ? Character.toString(between(0x20, 0x2FFF)) : pick(PIECES));
        }
        return out.toString();
    }

    /** A string whose UTF-8 is valid, as a protobuf {@code string} field must be. */
    public String utf8(int maxPieces) {
        return new String(string(maxPieces).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    /** 0 to {@code max} elements. */
    public <T> List<T> list(int max, Supplier<T> element) {
        List<T> out = new ArrayList<>();
        for (int i = 0, n = random.nextInt(max + 1); i < n; i++) out.add(element.get());
        return out;
    }
}
