package io.github.vit4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of a pre-LN Vision Transformer: everything the forward pass needs besides the weights.
 *
 * <p>The architecture is the one of ViT (Dosovitskiy et al. 2020) as timm and Hugging Face implement it: a
 * {@code patchSize × patchSize} stride-{@code patchSize} convolution cuts the image into patches, a CLS token is
 * prepended, learned position embeddings are added, then {@code layers} pre-LN blocks, a final LayerNorm and a
 * linear head on the CLS token.
 *
 * @param imageSize     input height in pixels (and width, for the square inputs of every constructor but the
 *                      canonical one), e.g. 224
 * @param patchSize     patch height and width in pixels, e.g. 16; must divide {@code imageSize} and
 *                      {@code imageWidth}
 * @param channels      input channels, 3 for RGB
 * @param hiddenSize    width D of the residual stream, e.g. 768
 * @param layers        number of transformer blocks L
 * @param heads         attention heads H; must divide {@code hiddenSize}
 * @param mlpSize       width of the MLP's hidden layer, e.g. 3072
 * @param layerNormEps  the epsilon of every LayerNorm; no default on purpose (timm 1e-6, Hugging Face 1e-12,
 *                      many small models 1e-5)
 * @param labels        class names in index order; its size is the number of classes (for a model without a
 *                      classifier, the width of its output embedding, e.g. numbered labels)
 * @param architecture  what differs between ViT families ({@link Architecture#VIT} for the original)
 * @param imageWidth    input width in pixels: {@code imageSize} for a square input; another width only for a model
 *                      run at another size than it was trained for ({@link #withImageSize(int, int)}), whose
 *                      architecture names its trained {@link Architecture#positionGrid()}
 */
public record VitConfig(int imageSize, int patchSize, int channels, int hiddenSize, int layers, int heads,
                        int mlpSize, double layerNormEps, List<String> labels, Architecture architecture,
                        int imageWidth) {

    // Sizes come from files, and they decide what is allocated: each is bounded far above any published ViT
    // (ViT-22B: 48 layers of width 6144, 48 heads, MLP 24576) so that a corrupt or hostile file is refused before
    // a shape table, a label list or an array is built from it.
    /** The largest {@link #imageSize} accepted (pixels). */
    public static final int MAX_IMAGE_SIZE = 16384;
    /** The largest number of input {@link #channels} accepted. */
    public static final int MAX_CHANNELS = 1024;
    /** The largest {@link #hiddenSize} accepted. */
    public static final int MAX_HIDDEN_SIZE = 1 << 16;
    /** The largest number of {@link #layers} accepted. */
    public static final int MAX_LAYERS = 1024;
    /** The largest number of attention {@link #heads} accepted. */
    public static final int MAX_HEADS = 1024;
    /** The largest {@link #mlpSize} accepted. */
    public static final int MAX_MLP_SIZE = 1 << 18;
    /** The largest number of classes ({@code labels.size()}) accepted. */
    public static final int MAX_CLASSES = 1 << 20;

    public VitConfig {
        bounded("imageSize", imageSize, MAX_IMAGE_SIZE, "MAX_IMAGE_SIZE");
        bounded("imageWidth", imageWidth, MAX_IMAGE_SIZE, "MAX_IMAGE_SIZE");
        positive("patchSize", patchSize);
        bounded("channels", channels, MAX_CHANNELS, "MAX_CHANNELS");
        bounded("hiddenSize", hiddenSize, MAX_HIDDEN_SIZE, "MAX_HIDDEN_SIZE");
        bounded("layers", layers, MAX_LAYERS, "MAX_LAYERS");
        bounded("heads", heads, MAX_HEADS, "MAX_HEADS");
        bounded("mlpSize", mlpSize, MAX_MLP_SIZE, "MAX_MLP_SIZE");
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("imageSize " + imageSize + " is not a multiple of patchSize "
                    + patchSize + "; ViT cuts the image into whole patches");
        }
        if (imageWidth % patchSize != 0) {
            throw new IllegalArgumentException("imageWidth " + imageWidth + " is not a multiple of patchSize "
                    + patchSize + "; ViT cuts the image into whole patches");
        }
        if (hiddenSize % heads != 0) {
            throw new IllegalArgumentException("hiddenSize " + hiddenSize + " is not divisible by heads " + heads
                    + "; each head gets hiddenSize / heads dimensions");
        }
        layerNormEps(layerNormEps, "typical values are 1e-6 (timm), 1e-12 (Hugging Face), 1e-5");
        if (labels == null || labels.isEmpty()) {
            throw new IllegalArgumentException("labels must name at least one class; use VitConfig.numberedLabels(n)"
                    + " when the names are unknown");
        }
        bounded("classes", labels.size(), MAX_CLASSES, "MAX_CLASSES");
        if (architecture == null) {
            throw new IllegalArgumentException("architecture must be named; Architecture.VIT for the original ViT");
        }
        if (imageWidth != imageSize && architecture.positionGrid() == 0) {
            throw new IllegalArgumentException("a " + imageSize + "×" + imageWidth + " input is not square, so its"
                    + " grid cannot be the one the position embeddings were trained for: name the trained grid"
                    + " (Architecture.positionGrid), e.g. with VitConfig.withImageSize(height, width)");
        }
        if (imageWidth == imageSize && architecture.positionGrid() == imageSize / patchSize) {
            architecture = architecture.withPositionGrid(0);   // the input's grid: one config, one toString
        }
        long grid = imageSize / patchSize;
        long positionGrid = architecture.positionGrid() > 0 ? architecture.positionGrid() : grid;
        long tokens = architecture.prefixTokens() + grid * (imageWidth / patchSize);
        fitsAnArray("patch_embed.proj.weight", hiddenSize, (long) channels * patchSize * patchSize);
        fitsAnArray("pos_embed", architecture.prefixTokens() - architecture.registers()
                + positionGrid * positionGrid, hiddenSize);
        fitsAnArray("the tokens", tokens, hiddenSize);
        fitsAnArray("blocks.{i}.attn.qkv.weight", 3L * hiddenSize, hiddenSize);
        fitsAnArray("blocks.{i}.mlp.fc1.weight", mlpSize, hiddenSize);
        long pooled = architecture.pooling() == Architecture.Pooling.CLS_AND_PATCH_MEAN ? 2L * hiddenSize
                : hiddenSize;
        long embedding = architecture.projection() > 0 ? architecture.projection() : pooled;
        if (architecture.head() == Architecture.Head.NONE && labels.size() != embedding) {
            throw new IllegalArgumentException("a model without a classifier outputs its " + embedding
                    + "-wide embedding, but labels names " + labels.size() + " outputs; use"
                    + " VitConfig.numberedLabels(" + embedding + ")");
        }
        fitsAnArray("head.weight", labels.size(), embedding);
        labels = List.copyOf(labels);
    }

    /** A config for square {@code imageSize × imageSize} inputs. */
    public VitConfig(int imageSize, int patchSize, int channels, int hiddenSize, int layers, int heads,
                     int mlpSize, double layerNormEps, List<String> labels, Architecture architecture) {
        this(imageSize, patchSize, channels, hiddenSize, layers, heads, mlpSize, layerNormEps, labels, architecture,
                imageSize);
    }

    /** A config of the original ViT architecture ({@link Architecture#VIT}) for square inputs. */
    public VitConfig(int imageSize, int patchSize, int channels, int hiddenSize, int layers, int heads,
                     int mlpSize, double layerNormEps, List<String> labels) {
        this(imageSize, patchSize, channels, hiddenSize, layers, heads, mlpSize, layerNormEps, labels,
                Architecture.VIT);
    }

    /** Refuses an epsilon outside (0, 1), with {@code typical} values as the hint. */
    static void layerNormEps(double eps, String typical) {
        if (!(eps > 0) || eps >= 1) {
            throw new IllegalArgumentException("layerNormEps must be in (0, 1), got " + eps + "; " + typical);
        }
    }

    static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    static void bounded(String name, int value, int limit, String limitName) {
        positive(name, value);
        if (value > limit) {
            throw new IllegalArgumentException(name + " is " + value + ", more than VitConfig." + limitName + " = "
                    + limit + "; no ViT is that large, so the config (or the file it came from) is wrong");
        }
    }

    /** Refuses sizes whose product would overflow an array's element count (each size may be within its limit). */
    static void fitsAnArray(String tensor, long rows, long columns) {
        long elements = rows * columns; // the factors are bounded above, so a long holds the product
        if (elements > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(tensor + " [" + rows + ", " + columns + "] would have " + elements
                    + " elements, at most " + Integer.MAX_VALUE + " are allowed per tensor; the config's sizes are"
                    + " wrong or too large together");
        }
    }

    /** Number of classes of the head. */
    public int classes() {
        return labels.size();
    }

    /** Input height in pixels: {@link #imageSize}. */
    public int imageHeight() {
        return imageSize;
    }

    /** Whether the input is square ({@code imageHeight == imageWidth}), as every model is at its trained size. */
    public boolean square() {
        return imageSize == imageWidth;
    }

    /** Rows of the patch grid: {@code imageHeight / patchSize}. */
    public int gridHeight() {
        return imageSize / patchSize;
    }

    /** Columns of the patch grid: {@code imageWidth / patchSize}. */
    public int gridWidth() {
        return imageWidth / patchSize;
    }

    /**
     * Patches along one side of a square input: {@code imageSize / patchSize}, e.g. 14 for 224/16.
     *
     * @throws IllegalStateException for a non-square input, naming {@link #gridHeight()} and {@link #gridWidth()}
     *                               (what code that handles any input reads instead)
     */
    public int gridSize() {
        if (!square()) {
            throw new IllegalStateException("the " + imageSize + "×" + imageWidth + " input has a " + gridHeight()
                    + "×" + gridWidth() + " patch grid, not a square one: read gridHeight() and gridWidth()");
        }
        return imageSize / patchSize;
    }

    /** Number of patch tokens N = gridHeight · gridWidth (gridSize² for a square input). */
    public int patches() {
        return gridHeight() * gridWidth();
    }

    /**
     * Sequence length T: the tokens before the patches ({@link #prefixTokens()}: CLS, distillation, registers) and
     * the patches, e.g. 197 for a ViT at 224/16.
     */
    public int tokens() {
        return prefixTokens() + patches();
    }

    /** The tokens before the patches: 1 (CLS) for ViT, 2 for distilled DeiT, 1 + R with R registers, 0 for SigLIP. */
    public int prefixTokens() {
        return architecture.prefixTokens();
    }

    /** The side of the patch grid the position embeddings were trained for (the input's unless resized). */
    public int positionGrid() {
        return architecture.positionGrid() > 0 ? architecture.positionGrid() : gridSize();
    }

    /** Rows of the position embeddings: CLS, distillation token (not the registers) and the trained grid. */
    public int positionRows() {
        return prefixTokens() - architecture.registers() + positionGrid() * positionGrid();
    }

    /** Width of the {@code pooled} vector: 2D for concat(CLS, patch mean), else D. */
    public int pooledSize() {
        return architecture.pooling() == Architecture.Pooling.CLS_AND_PATCH_MEAN ? 2 * hiddenSize : hiddenSize;
    }

    /** Width of what the head reads: the projection's, else {@link #pooledSize()}. */
    public int embeddingSize() {
        return architecture.projection() > 0 ? architecture.projection() : pooledSize();
    }

    /**
     * Every site a run of this model from pixels produces, in the order it produces them: embed (embed_ln), each
     * per-block kind at each layer, then the head's sites (ln_final, pooled, image_embeds, …, logits).
     */
    public List<Site> sites() {
        List<Site> sites = new ArrayList<>();
        for (Site.Kind kind : Site.Kind.values()) {
            if (!kind.perBlock() && kind.ordinal() < Site.Kind.RESID_PRE.ordinal() && hasSite(kind)) {
                sites.add(new Site(Site.NO_LAYER, kind));
            }
        }
        for (int l = 0; l < layers; l++) {
            for (Site.Kind kind : Site.Kind.values()) {
                if (kind.perBlock()) {
                    sites.add(Site.of(l, kind));
                }
            }
        }
        for (Site.Kind kind : Site.Kind.values()) {
            if (!kind.perBlock() && kind.ordinal() > Site.Kind.RESID_PRE.ordinal() && hasSite(kind)) {
                sites.add(new Site(Site.NO_LAYER, kind));
            }
        }
        return sites;
    }

    /** Whether runs of this model have the site kind {@code kind} (e.g. {@code embed_ln} only with a pre-norm). */
    public boolean hasSite(Site.Kind kind) {
        Architecture a = architecture;
        return switch (kind) {
            case EMBED_LN -> a.embedNorm();
            case LN_FINAL -> !a.finalNormOnPooled();
            case POOLED -> a.hasPooled();
            case IMAGE_EMBEDS -> a.projection() > 0;
            case CLS_LOGITS, DISTILLATION_LOGITS -> a.head() == Architecture.Head.DISTILLED;
            case TEXT_EMBEDS -> false;
            default -> true;
        };
    }

    /** Width of one attention head: hiddenSize / heads. */
    public int headDim() {
        return hiddenSize / heads;
    }

    /** Length of one flattened patch: channels × patchSize². */
    public int patchDim() {
        return channels * patchSize * patchSize;
    }

    /** Multiply-accumulates of one forward pass of one image (GEMMs and attention; elementwise work excluded). */
    public long macsPerImage() {
        long t = tokens();
        long d = hiddenSize;
        long perBlock = t * d * 3 * d          // q, k, v projections
                + 2 * t * t * d                // scores and weighted sum of values, all heads
                + t * d * d                    // output projection
                + 2 * t * d * mlpSize;         // fc1 and fc2
        return (long) patches() * patchDim() * d + layers * perBlock + (long) embeddingSize() * classes();
    }

    /** Labels "0", "1", … for a model whose class names are unknown. */
    public static List<String> numberedLabels(int classes) {
        bounded("classes", classes, MAX_CLASSES, "MAX_CLASSES");
        List<String> names = new ArrayList<>(classes);
        for (int i = 0; i < classes; i++) {
            names.add(Integer.toString(i));
        }
        return names;
    }

    /** ViT-B/16 at 224 as Hugging Face ships google/vit-base-patch16-224: 12 × 768, 12 heads, MLP 3072, eps 1e-12. */
    public static VitConfig vitB16() {
        return new VitConfig(224, 16, 3, 768, 12, 12, 3072, 1e-12, numberedLabels(1000));
    }

    /** DeiT-tiny (ViT-Ti/16) at 224 as timm ships it: 12 × 192, 3 heads, MLP 768, eps 1e-6, 1000 classes. */
    public static VitConfig deitTiny() {
        return new VitConfig(224, 16, 3, 192, 12, 3, 768, 1e-6, numberedLabels(1000));
    }

    /** The CIFAR-10 model of ../shared: 32×32 input, patch 4, 4 × 128, 4 heads, MLP 256, eps 1e-5, 10 classes. */
    public static VitConfig cifar10() {
        return new VitConfig(32, 4, 3, 128, 4, 4, 256, 1e-5, CIFAR10_LABELS);
    }

    /** The ten CIFAR-10 class names in index order. */
    public static final List<String> CIFAR10_LABELS = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    /** The same architecture with other class names (e.g. read from a model's config file). */
    public VitConfig withLabels(List<String> newLabels) {
        return new VitConfig(imageSize, patchSize, channels, hiddenSize, layers, heads, mlpSize, layerNormEps,
                newLabels, architecture, imageWidth);
    }

    /**
     * The record's usual text; for the original ViT exactly what vit4j wrote before architectures existed (trace
     * folders record it, and a trace started then must resume), for another architecture with it appended.
     */
    @Override
    public String toString() {
        return "VitConfig[imageSize=" + imageSize + (square() ? "" : ", imageWidth=" + imageWidth)
                + ", patchSize=" + patchSize + ", channels=" + channels
                + ", hiddenSize=" + hiddenSize + ", layers=" + layers + ", heads=" + heads + ", mlpSize=" + mlpSize
                + ", layerNormEps=" + layerNormEps + ", labels=" + labels
                + (architecture.equals(Architecture.VIT) ? "" : ", architecture=" + architecture) + "]";
    }

    /** The same sizes and labels with another architecture. */
    public VitConfig withArchitecture(Architecture newArchitecture) {
        return new VitConfig(imageSize, patchSize, channels, hiddenSize, layers, heads, mlpSize, layerNormEps,
                labels, newArchitecture, imageWidth);
    }

    /**
     * The same model for square inputs of {@code newImageSize} pixels (a multiple of the patch size): the position
     * embeddings stay those of the trained grid and are resized to the new one when the model runs.
     */
    public VitConfig withImageSize(int newImageSize) {
        return withImageSize(newImageSize, newImageSize);
    }

    /**
     * The same model for {@code height × width} inputs (each a multiple of the patch size, square or not): the
     * position embeddings stay those of the trained grid and are resized to {@code (height / patchSize) ×
     * (width / patchSize)} when the model runs, as Hugging Face's {@code interpolate_pos_encoding} does; at the
     * trained size (square, the trained grid) nothing is resized.
     */
    public VitConfig withImageSize(int height, int width) {
        // at the trained size the constructor stores positionGrid 0 (the input's grid)
        Architecture resized = architecture.withPositionGrid(positionGrid());
        return new VitConfig(height, patchSize, channels, hiddenSize, layers, heads, mlpSize, layerNormEps,
                labels, resized, width);
    }
}
