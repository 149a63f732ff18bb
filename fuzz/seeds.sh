#!/usr/bin/env bash
# Writes small seed inputs for each fuzz target into fuzz/corpus/<target>/ (git ignores
# corpus/: the fuzzer grows it). Run from anywhere: `bash fuzz/seeds.sh`.
set -euo pipefail
cd "$(dirname "$0")"

seed() { # seed TARGET NAME BYTES (printf format)
    mkdir -p "corpus/$1"
    printf -- "$3" > "corpus/$1/$2"
}

# item_decode: {} ; {"a": S "x"} ; {"n": N 12} ; {"l": L [NULL, TRUE]} ; {"m": M {"k": B 0xff}}
seed item_decode empty '\x00'
seed item_decode string '\x01\x01a\x00\x01x'
seed item_decode number '\x01\x01n\x01\x18\x00'
seed item_decode list '\x01\x01l\x06\x02\x05\x03'
seed item_decode map '\x01\x01m\x07\x01\x01k\x02\x01\xff'
seed item_decode sets '\x02\x02ss\x08\x02\x01a\x01b\x02ns\x09\x01\x02\x00'

# key_decode: a shape byte, then hash (8), length (2, big-endian), partition, sort
seed key_decode s '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x00\x02pk'
seed key_decode s_s '\x03\x01\x02\x03\x04\x05\x06\x07\x08\x00\x02pksk'
seed key_decode s_n '\x06\x01\x02\x03\x04\x05\x06\x07\x08\x00\x02pk\x03\x83\x02\x00'
seed key_decode n_b '\x0a\x01\x02\x03\x04\x05\x06\x07\x08\x00\x0212\xff\x00'

seed number pair '12.5|-3e2'
seed number small '0.000001|1e-130'
seed number large '99999999999999999999999999999999999999|-1E+125'
seed number zeros '-0|0.0e10'

seed json plain '{"a": 1, "b": [true, null, "x"], "c": {"d": 1.5}}'
seed json dynamodb '{"a": {"S": "x"}, "n": {"N": "-1.5e3"}, "b": {"B": "AP8="}, "l": {"L": [{"NULL": true}, {"BOOL": false}]}}'
seed json sets '{"ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AQ=="]}, "m": {"M": {"k": {"S": "v"}}}}'

# expression: a kind byte (0 condition, 1 filter, 2 key condition, 3 update, 4 projection)
seed expression condition '\x00attribute_exists(a) AND (#dot.b[1] = :s OR size(l) > :n) AND NOT begins_with(s, :s2)'
seed expression filter '\x01a == 1 and b != \x27x\x27 and c in [1, 2] and ip in 10.0.0.0/8 and s =~ /ab+c/i'
seed expression key '\x02PK = :s AND SK BETWEEN :n2 AND :n'
seed expression update '\x03SET a = if_not_exists(a, :n) + :n, l = list_append(:l, l) REMOVE b[0] ADD ns :ns DELETE ss :ss'
seed expression projection '\x04a, #sp.b[2], #dot'

seed partiql select "SELECT a, b.c[1] FROM \"t\" WHERE PK = 'x' AND begins_with(SK, 'o') ORDER BY SK DESC"
seed partiql insert "INSERT INTO t VALUE {'PK': 'x', 'n': 1, 'l': [1, 'a'], 's': <<'a', 'b'>>}"
seed partiql update "UPDATE t SET a = a + 1 REMOVE b WHERE PK = 'x' RETURNING ALL NEW *"
seed partiql delete "DELETE FROM t WHERE PK = ? RETURNING ALL OLD *"

# storage targets: an even first byte cuts the file (u32 LE length), an odd one flips
# (u16 LE offset, mask) triples
for target in wal_segment partition_file; do
    seed $target cut_header '\x00\x08\x00\x00\x00'
    seed $target cut_middle '\x00\x00\x02\x00\x00'
    seed $target flip_magic '\x01\x00\x00\xff'
    seed $target flip_middle '\x01\x00\x01\x10\x40\x02\x04'
    seed $target flip_end '\x01\xff\xff\x01'
done
