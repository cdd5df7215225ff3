#!/usr/bin/env python3
"""Offline study of document scoring on python-docs-faq, over vectors written by
`switchboard eval chunking --dump DIR` (the native embedder, the project's chunker).

    switchboard eval chunking --corpus C --queries Q --qrels R --max-tokens 512 --overlap 0 --dump /tmp/vec512
    switchboard eval chunking --corpus C --queries Q --qrels R --max-tokens 256 --overlap 32 --dump /tmp/vec256
    python3 ops/eval/retrieval-study.py --data ../shared/data/python-docs-faq /tmp/vec512 [/tmp/vec256]

Prints nDCG@10 (document level, binary gains, as `eval retrieval`) for: best chunk, first chunk,
pseudo-relevance feedback (Rocchio on the query vector), BM25 alone, and dense + BM25 score
fusion, for the first dump, and fusions with the second when given. Needs numpy. The weights are
swept on the evaluation set itself: a figure here is an upper bound, not a held-out result.
"""
import argparse, collections, json, math, re
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument('--data', required=True)
ap.add_argument('dumps', nargs='+')
args = ap.parse_args()

qrels = collections.defaultdict(dict)
for i, line in enumerate(open(f'{args.data}/qrels.tsv')):
    if i == 0:
        continue
    q, d, s = line.strip().split('\t')
    qrels[q][d] = int(s)
corpus = [json.loads(l) for l in open(f'{args.data}/corpus.jsonl')]
doc_ids = [d.get('id') or d.get('_id') for d in corpus]
doc_index = {d: i for i, d in enumerate(doc_ids)}
query_text = {json.loads(l)['id']: json.loads(l)['text'] for l in open(f'{args.data}/queries.jsonl')}


def load(directory):
    ids = open(f'{directory}/chunks.ids').read().split('\n')
    vectors = np.fromfile(f'{directory}/chunks.f32', dtype=np.float32).reshape(len(ids), -1)
    qids = open(f'{directory}/queries.ids').read().split('\n')
    queries = np.fromfile(f'{directory}/queries.f32', dtype=np.float32).reshape(len(qids), -1)
    return ids, vectors, qids, queries


def ndcg10(scores, qids):
    top = np.argsort(-scores, axis=1)[:, :10]
    total = 0.0
    for row, qid in enumerate(qids):
        relevant = qrels[qid]
        dcg = sum(1 / math.log2(i + 2) for i, j in enumerate(top[row]) if relevant.get(doc_ids[j], 0) > 0)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
        total += dcg / ideal
    return total / len(qids)


def best_chunk(ids, vectors, queries):
    owner = np.array([doc_index[i] for i in ids])
    order = np.argsort(owner, kind='stable')
    sorted_owner = owner[order]
    starts = np.r_[0, np.nonzero(np.diff(sorted_owner))[0] + 1]
    out = np.full((queries.shape[0], len(doc_ids)), -2.0, dtype=np.float32)
    out[:, sorted_owner[starts]] = np.maximum.reduceat((queries @ vectors.T)[:, order], starts, axis=1)
    return out


def first_chunk(ids, vectors, queries):
    first = {}
    for row, doc in enumerate(ids):
        first.setdefault(doc_index[doc], row)
    docs = np.array(list(first.keys()))
    rows = np.array(list(first.values()))
    out = np.full((queries.shape[0], len(doc_ids)), -2.0, dtype=np.float32)
    out[:, docs] = queries @ vectors[rows].T
    doc_vectors = np.zeros((len(doc_ids), vectors.shape[1]), dtype=np.float32)
    doc_vectors[docs] = vectors[rows]
    return out, doc_vectors


STOP = set('a an the of to in is are was were be been it its this that these those and or for on with as by at from how do '
           'does did i my you your can what why when which who where will would should could there their them they not no '
           'yes if then than so such into about over more most any all some'.split())


def tokens(text):
    return [w for w in re.findall(r'[a-z0-9_]+', text.lower()) if w not in STOP]


def bm25(queries, k1=1.2, b=0.75):
    docs = [tokens(d['text']) for d in corpus]
    n = len(docs)
    average = sum(map(len, docs)) / n
    postings = collections.defaultdict(list)
    for j, doc in enumerate(docs):
        for word, count in collections.Counter(doc).items():
            postings[word].append((j, count))
    out = np.zeros((len(queries), n), dtype=np.float32)
    for row, text in enumerate(queries):
        for word in set(tokens(text)):
            docs_with = postings.get(word, [])
            idf = math.log(1 + (n - len(docs_with) + 0.5) / (len(docs_with) + 0.5))
            for j, count in docs_with:
                out[row, j] += idf * count * (k1 + 1) / (count + k1 * (1 - b + b * len(docs[j]) / average))
    return out


ids, vectors, qids, queries = load(args.dumps[0])
best = best_chunk(ids, vectors, queries)
first, doc_vectors = first_chunk(ids, vectors, queries)
print(f'{args.dumps[0]}: best chunk {ndcg10(best, qids):.4f}, first chunk {ndcg10(first, qids):.4f}')
for k in (1, 2, 3, 5, 10):
    row = []
    for beta in (0.25, 0.5, 1.0):
        top = np.argsort(-best, axis=1)[:, :k]
        expanded = queries + beta * doc_vectors[top].mean(axis=1)
        expanded /= np.linalg.norm(expanded, axis=1, keepdims=True)
        row.append(f'beta {beta}: {ndcg10(best_chunk(ids, vectors, expanded), qids):.4f}')
    print(f'  pseudo-relevance feedback, top {k}: ' + ', '.join(row))
lexical = bm25([query_text[q] for q in qids])
normalised = lexical / np.maximum(lexical.max(axis=1, keepdims=True), 1e-9)
print(f'  BM25 alone (k1 1.2, b 0.75): {ndcg10(lexical, qids):.4f}')
print('  best chunk + w * BM25 / max BM25: ' + ', '.join(f'w {w}: {ndcg10(best + w * normalised, qids):.4f}'
                                                        for w in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)))
for other in args.dumps[1:]:
    ids2, vectors2, qids2, queries2 = load(other)
    assert qids2 == qids
    best2 = best_chunk(ids2, vectors2, queries2)
    print(f'{other}: best chunk {ndcg10(best2, qids):.4f}; with BM25 w 0.1: {ndcg10(best2 + 0.1 * normalised, qids):.4f}')
    for a in (0.3, 0.5, 0.7):
        fused = a * best + (1 - a) * best2
        print(f'  {a} * first dump + {1 - a:.1f} * this one: {ndcg10(fused, qids):.4f}; with BM25 w 0.1: '
              f'{ndcg10(fused + 0.1 * normalised, qids):.4f}')
