package io.github.vit4j.convert;

import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the tensors of a weights file are named: for each canonical name (timm's, as {@link VitWeights} uses them, with
 * {@code {i}} standing for the block index) the source tensor(s) it comes from. A rule with several sources
 * concatenates them along the first axis (rows), as Hugging Face's separate query / key / value make the fused
 * {@code qkv}. Canonical names without a rule are looked up under their own name, so timm's layout is the empty
 * rule set.
 *
 * @param name   a display name, e.g. {@code Hugging Face ViTForImageClassification} or the mapping file's path
 * @param rules  canonical pattern → source patterns, e.g. {@code blocks.{i}.mlp.fc1.weight → [blocks.{i}.mlp.0.weight]}
 * @param ignore glob patterns ({@code *} any text, {@code {i}} a block index) of source tensors that are not used
 * @param derived tensors made from the file's by more than renaming (name → recipe, {@code {i}} allowed): layer
 *                scale folded, fused projections split, missing biases zero; the rules then read them by name
 */
record NameLayout(String name, Map<String, List<String>> rules, List<String> ignore,
                  Map<String, DerivedWeights.Recipe> derived) {

    /** The block-index placeholder. */
    static final String BLOCK = "{i}";

    NameLayout {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        rules.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        rules = Collections.unmodifiableMap(copy);
        ignore = List.copyOf(ignore);
        derived = Collections.unmodifiableMap(new LinkedHashMap<>(derived));
    }

    /** A layout of renames alone. */
    NameLayout(String name, Map<String, List<String>> rules, List<String> ignore) {
        this(name, rules, ignore, Map.of());
    }

    /** The file as this layout reads it: with its {@link #derived} tensors made (the file itself when none). */
    WeightsFile view(WeightsFile file) {
        return DerivedWeights.of(file, derived);
    }

    /** Every canonical name pattern in {@link VitWeights#tensors()} order, blocks written with {@code {i}}. */
    static List<String> canonicalPatterns() {
        return CANONICAL_PATTERNS;
    }

    private static final List<String> CANONICAL_PATTERNS = computeCanonicalPatterns();
    private static final Pattern BLOCK_NAME = Pattern.compile("blocks\\.(\\d+)\\.(.+)");

    private static List<String> computeCanonicalPatterns() {
        VitConfig oneBlock = new VitConfig(2, 1, 1, 1, 1, 1, 1, 0.5, List.of("a"));
        List<String> out = new ArrayList<>();
        for (String n : VitWeights.expectedShapes(oneBlock).keySet()) {
            out.add(n.startsWith("blocks.0.") ? "blocks." + BLOCK + "." + n.substring("blocks.0.".length()) : n);
        }
        return List.copyOf(out);
    }

    /** timm's names: the canonical ones, with {@code cls_token [1,1,D]}, {@code pos_embed [1,T,D]} and a conv weight. */
    static NameLayout timm() {
        return new NameLayout("timm VisionTransformer", Map.of(), List.of());
    }

    /** Hugging Face {@code ViTForImageClassification}: separate query, key and value, {@code vit.} prefix, classifier. */
    static NameLayout huggingFace() {
        Map<String, List<String>> r = new LinkedHashMap<>();
        String e = "vit.embeddings.";
        String l = "vit.encoder.layer." + BLOCK + ".";
        r.put("patch_embed.proj.weight", List.of(e + "patch_embeddings.projection.weight"));
        r.put("patch_embed.proj.bias", List.of(e + "patch_embeddings.projection.bias"));
        r.put("cls_token", List.of(e + "cls_token"));
        r.put("pos_embed", List.of(e + "position_embeddings"));
        for (String wb : List.of("weight", "bias")) {
            String b = "blocks." + BLOCK + ".";
            r.put(b + "norm1." + wb, List.of(l + "layernorm_before." + wb));
            r.put(b + "attn.qkv." + wb, List.of(l + "attention.attention.query." + wb,
                    l + "attention.attention.key." + wb, l + "attention.attention.value." + wb));
            r.put(b + "attn.proj." + wb, List.of(l + "attention.output.dense." + wb));
            r.put(b + "norm2." + wb, List.of(l + "layernorm_after." + wb));
            r.put(b + "mlp.fc1." + wb, List.of(l + "intermediate.dense." + wb));
            r.put(b + "mlp.fc2." + wb, List.of(l + "output.dense." + wb));
            r.put("norm." + wb, List.of("vit.layernorm." + wb));
            r.put("head." + wb, List.of("classifier." + wb));
        }
        return new NameLayout("Hugging Face ViTForImageClassification", r, List.of());
    }

    /** The layouts tried when no mapping file is given. */
    static List<NameLayout> builtIns() {
        return List.of(huggingFace(), timm());
    }

    /** The source tensor names for one concrete canonical name, e.g. {@code blocks.3.attn.qkv.weight}. */
    List<String> sources(String canonical) {
        Matcher m = BLOCK_NAME.matcher(canonical);
        if (m.matches()) {
            List<String> patterns = rules.get("blocks." + BLOCK + "." + m.group(2));
            if (patterns == null) {
                return List.of(canonical);
            }
            return patterns.stream().map(p -> p.replace(BLOCK, m.group(1))).toList();
        }
        return rules.getOrDefault(canonical, List.of(canonical));
    }

    /** Whether a source tensor is listed as unused. */
    boolean ignored(String source) {
        for (String glob : ignore) {
            if (globPattern(glob).matcher(source).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The block indices found among {@code names} through any per-block rule's source patterns. */
    SortedSet<Integer> blockIndices(Collection<String> names) {
        List<Pattern> patterns = new ArrayList<>();
        for (String canonical : canonicalPatterns()) {
            if (canonical.contains(BLOCK)) {
                for (String source : rules.getOrDefault(canonical, List.of(canonical))) {
                    patterns.add(indexPattern(source));
                }
            }
        }
        SortedSet<Integer> found = new TreeSet<>();
        for (String n : names) {
            for (Pattern p : patterns) {
                Matcher m = p.matcher(n);
                if (m.matches()) {
                    found.add(Integer.parseInt(m.group(1)));
                }
            }
        }
        return found;
    }

    /** The source names that must exist for this layout to fit a file: every non-block tensor and block 0's. */
    List<String> signature() {
        List<String> out = new ArrayList<>();
        for (String canonical : canonicalPatterns()) {
            out.addAll(sources(canonical.replace(BLOCK, "0")));
        }
        return out;
    }

    /**
     * The built-in layout whose signature the file's names contain.
     *
     * @throws UnknownLayoutException listing a sample of the names and, per layout tried, a name it lacks, and
     *                                suggesting a mapping file, when none (or more than one) fits
     */
    static NameLayout detect(WeightsFile file) throws UnknownLayoutException {
        List<NameLayout> fits = new ArrayList<>();
        List<String> tried = new ArrayList<>();
        for (NameLayout layout : builtIns()) {
            String lacking = null;
            for (String s : layout.signature()) {
                if (!file.contains(s)) {
                    lacking = s;
                    break;
                }
            }
            if (lacking == null) {
                fits.add(layout);
            } else {
                tried.add(layout.name() + " (no tensor " + lacking + ")");
            }
        }
        if (fits.size() == 1) {
            return fits.get(0);
        }
        if (fits.isEmpty()) {
            throw new UnknownLayoutException(file.file() + ": cannot tell how its " + file.names().size()
                    + " tensors are named (e.g. " + file.sampleNames(10) + "); tried " + String.join(", ", tried)
                    + ". Give a mapping file from canonical to file names: ModelLoader.load(path, mapping) (see the"
                    + " weights-converter README, \"Mapping files\")");
        }
        throw new UnknownLayoutException(file.file() + ": its tensor names fit several layouts ("
                + fits.stream().map(NameLayout::name).toList()
                + "); give a mapping file: ModelLoader.load(path, mapping)");
    }

    /** A regex for one source pattern with {@code {i}} captured as group 1. */
    static Pattern indexPattern(String sourcePattern) {
        int at = sourcePattern.indexOf(BLOCK);
        if (at < 0) {
            return Pattern.compile("(?!)(x)"); // matches nothing
        }
        return Pattern.compile(Pattern.quote(sourcePattern.substring(0, at)) + "(\\d{1,6})"
                + Pattern.quote(sourcePattern.substring(at + BLOCK.length())));
    }

    private static Pattern globPattern(String glob) {
        StringBuilder re = new StringBuilder();
        int i = 0;
        while (i < glob.length()) {
            if (glob.startsWith(BLOCK, i)) {
                re.append("\\d+");
                i += BLOCK.length();
            } else if (glob.charAt(i) == '*') {
                re.append(".*");
                i++;
            } else {
                int next = i;
                while (next < glob.length() && glob.charAt(next) != '*' && !glob.startsWith(BLOCK, next)) {
                    next++;
                }
                re.append(Pattern.quote(glob.substring(i, next)));
                i = next;
            }
        }
        return Pattern.compile(re.toString());
    }
}
