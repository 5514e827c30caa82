# Renders a per-op table (markdown) from an OpProfile JSON: python3 profile_table.py FILE.json PEAK_GFLOPS [ms_median|ms_min|ms_quiet]
import json,sys
peak=float(sys.argv[2]); col=sys.argv[3] if len(sys.argv)>3 else 'ms_median'
d=json.load(open(sys.argv[1])); b=d['batch']
ops={o['op']:o for o in d['ops']}
tot=d['forward_ms']['profiled_median' if col=='ms_median' else ('profiled_quiet' if col=='ms_quiet' else 'profiled_min')]
real=d['forward_ms']['real_median' if col=='ms_median' else ('real_quiet' if col=='ms_quiet' else 'real_min')]
names={'gemm.patch_embed':'GEMM patch embed','gemm.qkv':'GEMM qkv (×12)','gemm.attn_scores':'attention scores q·kᵀ (12 heads ×12)','gemm.attn_mix':'attention mix pattern·v (12 heads ×12)','gemm.proj':'GEMM proj (×12)','gemm.fc1':'GEMM fc1 (×12)','gemm.fc2':'GEMM fc2 (×12)','gemm.head':'GEMM head',
'elementwise.layernorm':'LayerNorm (×25)','elementwise.softmax':'softmax (×12)','elementwise.gelu':'GELU (×12)','elementwise.add':'residual adds (×24)','elementwise.bias':'bias rows into the outputs (×50)','elementwise.cls_pos':'CLS + position embeddings',
'copy.patchify':'patchify','copy.head_split':'head split q, k, v (×36)','copy.merge_heads':'merge heads (×12)','alloc.linear':'SiteMemory lookups, linear outputs','alloc.site':'SiteMemory lookups, other sites'}
order=['gemm.qkv','gemm.attn_scores','gemm.attn_mix','gemm.proj','gemm.fc1','gemm.fc2','gemm.patch_embed','gemm.head','elementwise.layernorm','elementwise.softmax','elementwise.gelu','elementwise.add','elementwise.bias','elementwise.cls_pos','copy.head_split','copy.merge_heads','copy.patchify','alloc.linear','alloc.site']
cat={}
print(f"| op | ms per forward (batch {b}) | ms per image | share | GFLOP/s | % of peak {peak:.0f} |")
print("|---|---|---|---|---|---|")
for k in [k for k in order if k in ops]:
    o=ops[k]; ms=o[col]; c=o['category']; cat[c]=cat.get(c,0)+ms
    gf=o['gflop']*1000/ms if o['gflop']>0 else None
    print(f"| {names[k]} | {ms:.2f} | {ms/b:.2f} | {100*ms/tot:.1f}% | {'' if gf is None else f'{gf:.0f}'} | {'' if gf is None else f'{100*gf/peak:.0f}%'} |")
s=sum(cat.values())
gemmflop=sum(o['gflop'] for o in d['ops'])
for c in ['gemm','elementwise','copy','alloc']:
    extra=f" ({gemmflop*1000/cat[c]:.0f} GFLOP/s, {100*gemmflop*1000/cat[c]/peak:.0f}% of peak)" if c=='gemm' else ''
    print(f"| **{c}** | {cat[c]:.2f} | {cat[c]/b:.2f} | {100*cat[c]/tot:.1f}%{extra} | | |")
print(f"| between ops (bookkeeping, timers, calls) | {tot-s:.2f} | {(tot-s)/b:.2f} | {100*(tot-s)/tot:.1f}% | | |")
print(f"| profiled forward ({col}) | {tot:.2f} | {tot/b:.2f} | 100% | {35.13*b*1000/tot:.0f} | {100*35.13*b*1000/tot/peak:.0f}% |")
print(f"| real forward Vit.run, same process ({col}) | {real:.2f} | {real/b:.2f} | | {35.13*b*1000/real:.0f} | {100*35.13*b*1000/real/peak:.0f}% |")
