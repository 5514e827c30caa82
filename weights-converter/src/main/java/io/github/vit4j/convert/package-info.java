/**
 * Reading trained ViT weights as they are published — Hugging Face and timm folders, bare safetensors files, and
 * weights saved under a trainer's own names with a mapping file — into {@link io.github.vit4j.model.Pretrained}, and
 * converting them to the native {@code .vit} file. Entry points: {@link io.github.vit4j.convert.ModelLoader} and
 * {@link io.github.vit4j.convert.Converter}.
 */
package io.github.vit4j.convert;
