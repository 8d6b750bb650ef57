"""Source of the embedded sample benchmark (``sample.jsonl``), written for rdq.

Every problem here was written for this project (wording and both solutions); none is copied from a
data set.  Expected outputs are *computed* by running the Python reference solution and rendering its
value as q console text, so the q reference solution passing on an interpreter is an independent check.

Regenerate the JSONL with ``python -m rdq.qlang.bench.problems._sample_source``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SAMPLE_SOURCE"]

# (id, name, difficulty, tags, description, python solution, q solution, tests as argument tuples)
SAMPLE_SOURCE: list[dict[str, Any]] = [
    dict(
        id="even-total", name="Even Total", difficulty="Easy", tags=["arrays", "math"],
        description="Given a list of integers nums, return the sum of its even elements (0 when there are none).",
        py="def solve(nums):\n    return sum(v for v in nums if v % 2 == 0)\n",
        q="solve:{sum x where 0=x mod 2}",
        tests=[([1, 2, 3, 4],), ([7, 9, 11],), ([-2, 4, 5],), ([10],)],
    ),
    dict(
        id="running-peak", name="Running Peak", difficulty="Easy", tags=["arrays", "prefix"],
        description="Given a non-empty list of integers, return a list of the same length whose i-th element is the "
        "largest value among the first i+1 elements.",
        py="def solve(nums):\n    out, best = [], None\n    for v in nums:\n        best = v if best is None else max(best, v)\n        out.append(best)\n    return out\n",
        q="solve:{maxs x}",
        tests=[([3, 1, 4, 1, 5],), ([5],), ([-3, -7, -1],), ([2, 2, 1, 8, 0],)],
    ),
    dict(
        id="vowel-tally", name="Vowel Tally", difficulty="Easy", tags=["strings"],
        description="Given a string s of lowercase letters, return how many of its characters are vowels (a, e, i, o, u).",
        py="def solve(s):\n    return sum(1 for ch in s if ch in 'aeiou')\n",
        q="solve:{count where x in \"aeiou\"}",
        tests=[("banana",), ("rhythm",), ("a",), ("queueing",)],
    ),
    dict(
        id="word-order-flip", name="Word Order Flip", difficulty="Easy", tags=["strings"],
        description="A sentence consists of words separated by single spaces, with no leading or trailing space. "
        "Return the sentence with the order of its words reversed.",
        py="def solve(s):\n    return ' '.join(reversed(s.split(' ')))\n",
        q="solve:{\" \" sv reverse \" \" vs x}",
        tests=[("hello world",), ("q is terse",), ("solo",), ("a bb ccc dd",)],
    ),
    dict(
        id="mirror-word", name="Mirror Word", difficulty="Easy", tags=["strings", "two pointers"],
        description="Return true when the lowercase string s reads the same forwards and backwards.",
        py="def solve(s):\n    i, j = 0, len(s) - 1\n    while i < j:\n        if s[i] != s[j]:\n            return False\n        i += 1\n        j -= 1\n    return True\n",
        q="solve:{x~reverse x}",
        tests=[("level",), ("levels",), ("abba",), ("z",)],
    ),
    dict(
        id="pair-to-target", name="Pair To Target", difficulty="Easy", tags=["arrays", "hashing"],
        description="Given a list of integers nums and an integer target, exactly one pair of positions i < j has "
        "nums[i] + nums[j] == target. Return [i, j] (0-based).",
        py="def solve(nums, target):\n    seen = {}\n    for j, v in enumerate(nums):\n        if target - v in seen:\n            return [seen[target - v], j]\n        seen.setdefault(v, j)\n    return []\n",
        q="solve:{[n;t] c:til[count n] cross til count n; c:c where c[;0]<c[;1]; first c where t=sum each n c}",
        tests=[([4, 9, 1, 6], 7), ([3, 3], 6), ([-1, 8, 5, 2], 13), ([0, 5, 10, 15, 20], 35)],
    ),
    dict(
        id="best-stretch-sum", name="Best Stretch Sum", difficulty="Medium", tags=["arrays", "dp"],
        description="Given a non-empty list of integers, return the largest sum of any non-empty contiguous stretch.",
        py="def solve(nums):\n    best = cur = nums[0]\n    for v in nums[1:]:\n        cur = max(v, cur + v)\n        best = max(best, cur)\n    return best\n",
        q="solve:{max {y+0|x}\\ x}",
        tests=[([-2, 1, -3, 4, -1, 2, 1, -5, 4],), ([-4, -2, -7],), ([6],), ([2, -1, 2, -1, 2],)],
    ),
    dict(
        id="stair-paths", name="Stair Paths", difficulty="Easy", tags=["dp", "math"],
        description="You climb a staircase of n steps, one or two steps at a time. Return the number of distinct "
        "ways to reach the top (n >= 1).",
        py="def solve(n):\n    a, b = 1, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
        q="solve:{first x {(x 1;sum x)}/1 1}",
        tests=[(1,), (2,), (5,), (30,)],
    ),
    dict(
        id="bracket-balance", name="Bracket Balance", difficulty="Easy", tags=["strings", "stacks"],
        description="A string holds only the characters ()[]{}. Return true when every bracket is closed by the "
        "matching kind in the right order.",
        py="def solve(s):\n    pairs = {')': '(', ']': '[', '}': '{'}\n    stack = []\n    for ch in s:\n        if ch in pairs:\n            if not stack or stack.pop() != pairs[ch]:\n                return False\n        else:\n            stack.append(ch)\n    return not stack\n",
        q="solve:{0=count {\"\" sv \"{}\" vs \"\" sv \"[]\" vs \"\" sv \"()\" vs x}/[x]}",
        tests=[("([]{})",), ("(]",), ("([)]",), ("((",), ("{[()()]}",)],
    ),
    dict(
        id="merge-spans", name="Merge Spans", difficulty="Medium", tags=["intervals", "sorting"],
        description="Given a list of closed intervals [start, end] in any order, merge all overlapping or touching "
        "intervals and return the result sorted by start.",
        py="def solve(spans):\n    out = []\n    for s, e in sorted(spans):\n        if out and s <= out[-1][1]:\n            out[-1][1] = max(out[-1][1], e)\n        else:\n            out.append([s, e])\n    return out\n",
        q="solve:{v:x iasc x[;0]; {$[y[0]<=last last x; @[x;-1+count x;{(x 0;x[1]|y 1)}[;y]]; x,enlist y]}/[enlist first v;1_v]}",
        tests=[([[1, 3], [2, 6], [8, 10], [15, 18]],), ([[1, 4], [4, 5]],), ([[5, 7]],), ([[6, 8], [1, 2], [2, 3], [10, 11]],)],
    ),
    dict(
        id="lonely-value", name="Lonely Value", difficulty="Easy", tags=["hashing"],
        description="In a list of integers every value appears exactly twice except one, which appears once. Return it.",
        py="def solve(nums):\n    r = 0\n    for v in nums:\n        r ^= v\n    return r\n",
        q="solve:{first where 1=count each group x}",
        tests=[([2, 2, 1],), ([4, 1, 2, 1, 2],), ([7],), ([-3, 9, 9],)],
    ),
    dict(
        id="dominant-value", name="Dominant Value", difficulty="Easy", tags=["hashing", "arrays"],
        description="A list of integers has one value occurring more than half of the time. Return that value.",
        py="def solve(nums):\n    cand, cnt = None, 0\n    for v in nums:\n        if cnt == 0:\n            cand = v\n        cnt += 1 if v == cand else -1\n    return cand\n",
        q="solve:{c:count each group x; first where c=max c}",
        tests=[([3, 2, 3],), ([2, 2, 1, 1, 1, 2, 2],), ([9],), ([5, 6, 5],)],
    ),
    dict(
        id="absent-number", name="Absent Number", difficulty="Easy", tags=["math", "arrays"],
        description="A list holds n distinct integers taken from 0..n, so exactly one number of that range is "
        "missing. Return it.",
        py="def solve(nums):\n    n = len(nums)\n    return n * (n + 1) // 2 - sum(nums)\n",
        q="solve:{(sum til 1+count x)-sum x}",
        tests=[([3, 0, 1],), ([0, 1],), ([9, 6, 4, 2, 3, 5, 7, 0, 1],), ([1],)],
    ),
    dict(
        id="product-of-others", name="Product Of Others", difficulty="Medium", tags=["arrays", "prefix"],
        description="Given a list of integers nums, return a list whose i-th element is the product of all elements "
        "of nums except nums[i], without using division.",
        py="def solve(nums):\n    n = len(nums)\n    out = [1] * n\n    acc = 1\n    for i in range(n):\n        out[i] = acc\n        acc *= nums[i]\n    acc = 1\n    for i in range(n - 1, -1, -1):\n        out[i] *= acc\n        acc *= nums[i]\n    return out\n",
        q="solve:{(prds 1,-1_x)*reverse prds 1,-1_reverse x}",
        tests=[([1, 2, 3, 4],), ([-1, 1, 0, -3, 3],), ([5, 7],), ([2, 2, 2],)],
    ),
    dict(
        id="shared-start", name="Shared Start", difficulty="Easy", tags=["strings"],
        description="Given a list of non-empty lowercase words, return the longest string that starts every word "
        "(the empty string when they share no first letter).",
        py="def solve(words):\n    p = words[0]\n    for w in words[1:]:\n        while not w.startswith(p):\n            p = p[:-1]\n    return p\n",
        q="solve:{m:min count each x; k:sum mins 1=count each distinct each flip m#'x; k#first x}",
        tests=[(["flower", "flow", "flight"],), (["interval", "internet", "interior"],), (["abc", "abd"],), (["tree", "trek", "toe"],)],
    ),
    dict(
        id="shift-right", name="Shift Right", difficulty="Medium", tags=["arrays"],
        description="Rotate a list of integers k places to the right (k >= 0 may exceed the length) and return it.",
        py="def solve(nums, k):\n    k %= len(nums)\n    return nums[-k:] + nums[:-k] if k else list(nums)\n",
        q="solve:{[x;k] neg[k] rotate x}",
        tests=[([1, 2, 3, 4, 5, 6, 7], 3), ([-1, -100, 3, 99], 2), ([1, 2], 5), ([4, 5, 6], 0)],
    ),
    dict(
        id="single-trade", name="Single Trade", difficulty="Easy", tags=["arrays", "dp"],
        description="prices[i] is a stock's price on day i. Buy on one day and sell on a later day; return the "
        "largest possible profit, or 0 if no trade makes money.",
        py="def solve(prices):\n    lo, best = prices[0], 0\n    for p in prices:\n        lo = min(lo, p)\n        best = max(best, p - lo)\n    return best\n",
        q="solve:{max 0,x-mins x}",
        tests=[([7, 1, 5, 3, 6, 4],), ([7, 6, 4, 3, 1],), ([2, 4, 1, 9],), ([3],)],
    ),
    dict(
        id="any-repeat", name="Any Repeat", difficulty="Easy", tags=["hashing"],
        description="Return true when some value appears at least twice in the list of integers.",
        py="def solve(nums):\n    return len(set(nums)) < len(nums)\n",
        q="solve:{count[x]>count distinct x}",
        tests=[([1, 2, 3, 1],), ([1, 2, 3, 4],), ([0],), ([5, -5, 5],)],
    ),
    dict(
        id="same-letters", name="Same Letters", difficulty="Easy", tags=["strings", "sorting", "hashing"],
        description="Return true when string b is a rearrangement of the letters of string a.",
        py="def solve(a, b):\n    return sorted(a) == sorted(b)\n",
        q="solve:{[a;b] (a iasc a)~b iasc b}",
        tests=[("anagram", "nagaram"), ("rat", "car"), ("ab", "abb"), ("listen", "silent")],
    ),
    dict(
        id="first-single-letter", name="First Single Letter", difficulty="Easy", tags=["strings", "hashing"],
        description="Return the index of the first character of s that occurs only once in s, or -1 if none does.",
        py="def solve(s):\n    from collections import Counter\n    c = Counter(s)\n    for i, ch in enumerate(s):\n        if c[ch] == 1:\n            return i\n    return -1\n",
        q="solve:{c:count each group x; i:where 1=c x; $[count i;first i;-1]}",
        tests=[("leetcode",), ("loveleetcode",), ("aabb",), ("x",)],
    ),
    dict(
        id="triangle-row", name="Triangle Row", difficulty="Easy", tags=["math", "dp"],
        description="Return row n (0-based) of Pascal's triangle as a list of integers.",
        py="def solve(n):\n    row = [1]\n    for _ in range(n):\n        row = [a + b for a, b in zip([0] + row, row + [0])]\n    return row\n",
        q="solve:{x {(0,x)+x,0}/enlist 1}",
        tests=[(0,), (1,), (4,), (10,)],
    ),
    dict(
        id="common-divisor", name="Common Divisor", difficulty="Easy", tags=["math"],
        description="Return the greatest common divisor of a non-empty list of positive integers.",
        py="def solve(nums):\n    from math import gcd\n    g = 0\n    for v in nums:\n        g = gcd(g, v)\n    return g\n",
        q="gcd2:{[a;b] while[b>0; t:b; b:a mod b; a:t]; a}\nsolve:{gcd2/[x]}",
        tests=[([12, 18, 24],), ([7, 13],), ([100],), ([48, 180, 600],)],
    ),
    dict(
        id="prime-census", name="Prime Census", difficulty="Medium", tags=["math"],
        description="Return how many prime numbers are strictly less than the non-negative integer n.",
        py="def solve(n):\n    if n < 3:\n        return 0\n    s = [True] * n\n    s[0] = s[1] = False\n    for i in range(2, int(n ** 0.5) + 1):\n        if s[i]:\n            for j in range(i * i, n, i):\n                s[j] = False\n    return sum(s)\n",
        q="solve:{[n] if[n<3;:0]; s:n#1b; s[0 1]:00b; i:2; while[(i*i)<n; if[s i; s[(i*i)+i*til ceiling (n-i*i)%i]:0b]; i+:1]; count where s}",
        tests=[(10,), (0,), (2,), (3,), (100,)],
    ),
    dict(
        id="zeros-to-back", name="Zeros To Back", difficulty="Easy", tags=["arrays", "two pointers"],
        description="Move every 0 of a list of integers to its end, keeping the order of the other elements; "
        "return the list.",
        py="def solve(nums):\n    nz = [v for v in nums if v != 0]\n    return nz + [0] * (len(nums) - len(nz))\n",
        q="solve:{(x where not x=0),(count where x=0)#0}",
        tests=[([0, 1, 0, 3, 12],), ([0],), ([4, 2],), ([0, 0, 7],)],
    ),
    dict(
        id="sorted-squares", name="Sorted Squares", difficulty="Easy", tags=["arrays", "two pointers", "sorting"],
        description="Given integers sorted in ascending order (possibly negative), return the squares of all of "
        "them in ascending order.",
        py="def solve(nums):\n    i, j = 0, len(nums) - 1\n    out = []\n    while i <= j:\n        if abs(nums[i]) > abs(nums[j]):\n            out.append(nums[i] * nums[i])\n            i += 1\n        else:\n            out.append(nums[j] * nums[j])\n            j -= 1\n    return out[::-1]\n",
        q="solve:{s iasc s:x*x}",
        tests=[([-4, -1, 0, 3, 10],), ([-7, -3, 2, 3, 11],), ([2],), ([-5, -4],)],
    ),
    dict(
        id="flip-grid", name="Flip Grid", difficulty="Easy", tags=["matrix"],
        description="Return the transpose of a rectangular matrix given as a list of rows.",
        py="def solve(m):\n    return [list(col) for col in zip(*m)]\n",
        q="solve:{flip x}",
        tests=[([[1, 2, 3], [4, 5, 6]],), ([[1, 2], [3, 4]],), ([[7], [8], [9]],), ([[10, 200], [3000, 4]],)],
    ),
    dict(
        id="cross-diagonals", name="Cross Diagonals", difficulty="Easy", tags=["matrix", "arrays"],
        description="For a square matrix, return the sum of the elements on its main diagonal and on its "
        "anti-diagonal, counting the centre element once when n is odd.",
        py="def solve(m):\n    n = len(m)\n    s = sum(m[i][i] + m[i][n - 1 - i] for i in range(n))\n    return s - (m[n // 2][n // 2] if n % 2 else 0)\n",
        q="solve:{n:count x; i:til n; h:n div 2; (sum x@'i)+(sum x@'(n-1)-i)-$[n mod 2;x[h;h];0]}",
        tests=[([[1, 2, 3], [4, 5, 6], [7, 8, 9]],), ([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]],), ([[5]],)],
    ),
    dict(
        id="most-frequent-k", name="Most Frequent K", difficulty="Medium", tags=["hashing", "sorting"],
        description="Return the k most frequent values of a list of integers, most frequent first; values with "
        "equal counts are ordered from smallest to largest.",
        py="def solve(nums, k):\n    from collections import Counter\n    c = Counter(nums)\n    return sorted(c, key=lambda v: (-c[v], v))[:k]\n",
        q="solve:{[x;k] c:count each group x; u:d iasc d:distinct x; k#u idesc c u}",
        tests=[([1, 1, 1, 2, 2, 3], 2), ([1], 1), ([4, 4, 6, 6, 5, 5, 5], 2), ([3, 1, 2], 3)],
    ),
    dict(
        id="longest-fresh-run", name="Longest Fresh Run", difficulty="Medium", tags=["strings", "sliding window", "hashing"],
        description="Return the length of the longest substring of s in which no character repeats.",
        py="def solve(s):\n    seen, start, best = {}, 0, 0\n    for i, ch in enumerate(s):\n        if seen.get(ch, -1) >= start:\n            start = seen[ch] + 1\n        seen[ch] = i\n        best = max(best, i - start + 1)\n    return best\n",
        q="solve:{[s] best:0; start:0; seen:()!(); i:0; while[i<count s; c:s i; if[c in key seen; if[seen[c]>=start; start:1+seen c]]; seen[c]:i; best:best|1+i-start; i+:1]; best}",
        tests=[("abcabcbb",), ("bbbbb",), ("pwwkew",), ("z",), ("abba",)],
    ),
    dict(
        id="insert-position", name="Insert Position", difficulty="Easy", tags=["binary search", "arrays"],
        description="Given distinct integers sorted ascending and a target, return the index of the target if "
        "present, else the index where it would be inserted to keep the order.",
        py="def solve(nums, target):\n    lo, hi = 0, len(nums)\n    while lo < hi:\n        mid = (lo + hi) // 2\n        if nums[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid\n    return lo\n",
        q="solve:{[x;t] count where x<t}",
        tests=[([1, 3, 5, 6], 5), ([1, 3, 5, 6], 2), ([1, 3, 5, 6], 7), ([1, 3, 5, 6], 0)],
    ),
    dict(
        id="fewest-coins", name="Fewest Coins", difficulty="Medium", tags=["dp"],
        description="Given coin denominations (unlimited supply of each) and an amount, return the fewest coins "
        "that add up to the amount, or -1 if it cannot be made.",
        py="def solve(coins, amount):\n    big = amount + 1\n    d = [0] + [big] * amount\n    for i in range(1, amount + 1):\n        for c in coins:\n            if c <= i:\n                d[i] = min(d[i], d[i - c] + 1)\n    return -1 if d[amount] > amount else d[amount]\n",
        q="solve:{[c;a] d:(a+1)#a+1; d[0]:0; i:1; while[i<=a; m:c where c<=i; if[count m; d[i]:1+min d i-m]; i+:1]; $[d[a]>a;-1;d a]}",
        tests=[([1, 2, 5], 11), ([2], 3), ([1], 0), ([3, 7, 405, 436], 893)],
    ),
    dict(
        id="quiet-burglar", name="Quiet Burglar", difficulty="Medium", tags=["dp", "arrays"],
        description="Houses in a row hold the given amounts of money. Taking from two adjacent houses is not "
        "allowed; return the most money that can be taken.",
        py="def solve(nums):\n    a, b = 0, 0\n    for v in nums:\n        a, b = b, max(b, a + v)\n    return b\n",
        q="solve:{last {(x 1;max(x 1;y+x 0))}/[0 0;x]}",
        tests=[([1, 2, 3, 1],), ([2, 7, 9, 3, 1],), ([5],), ([2, 1, 1, 2],)],
    ),
    dict(
        id="rising-chain", name="Rising Chain", difficulty="Medium", tags=["dp", "arrays"],
        description="Return the length of the longest strictly increasing subsequence of a non-empty list of integers.",
        py="def solve(nums):\n    from bisect import bisect_left\n    tails = []\n    for v in nums:\n        i = bisect_left(tails, v)\n        if i == len(tails):\n            tails.append(v)\n        else:\n            tails[i] = v\n    return len(tails)\n",
        q="solve:{n:count x; d:n#1; i:1; while[i<n; j:til i; m:d j where x[j]<x i; if[count m; d[i]:1+max m]; i+:1]; max d}",
        tests=[([10, 9, 2, 5, 3, 7, 101, 18],), ([0, 1, 0, 3, 2, 3],), ([7, 7, 7],), ([4],)],
    ),
    dict(
        id="edit-steps", name="Edit Steps", difficulty="Hard", tags=["dp", "strings"],
        description="Return the minimum number of single-character insertions, deletions and substitutions that "
        "turn string a into string b (both non-empty).",
        py="def solve(a, b):\n    prev = list(range(len(b) + 1))\n    for i, ca in enumerate(a, 1):\n        cur = [i]\n        for j, cb in enumerate(b, 1):\n            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))\n        prev = cur\n    return prev[-1]\n",
        q="solve:{[a;b] p:til 1+count b; i:0; while[i<count a; c:enlist i+1; j:0; while[j<count b; c,:min (p[j+1]+1;c[j]+1;p[j]+not a[i]=b[j]); j+:1]; p:c; i+:1]; last p}",
        tests=[("horse", "ros"), ("intention", "execution"), ("a", "b"), ("same", "same")],
    ),
    dict(
        id="rain-pools", name="Rain Pools", difficulty="Hard", tags=["arrays", "two pointers", "prefix"],
        description="Non-negative integers give the heights of unit-width bars. Return how many units of rain "
        "water are trapped between the bars.",
        py="def solve(h):\n    i, j = 0, len(h) - 1\n    lm = rm = water = 0\n    while i < j:\n        if h[i] < h[j]:\n            lm = max(lm, h[i])\n            water += lm - h[i]\n            i += 1\n        else:\n            rm = max(rm, h[j])\n            water += rm - h[j]\n            j -= 1\n    return water\n",
        q="solve:{sum ((maxs x)&reverse maxs reverse x)-x}",
        tests=[([0, 1, 0, 2, 1, 0, 1, 3, 2, 1, 2, 1],), ([4, 2, 0, 3, 2, 5],), ([3],), ([1, 2, 3],)],
    ),
    dict(
        id="widest-block", name="Widest Block", difficulty="Hard", tags=["stacks", "arrays"],
        description="Bars of unit width have the given non-negative heights. Return the area of the largest "
        "axis-aligned rectangle that fits under the bars.",
        py="def solve(h):\n    stack, best = [], 0\n    for i, v in enumerate(h + [0]):\n        start = i\n        while stack and stack[-1][1] >= v:\n            j, hv = stack.pop()\n            best = max(best, hv * (i - j))\n            start = j\n        stack.append((start, v))\n    return best\n",
        q="solve:{max raze {[h;i] (1+til count r)*mins r:i _ h}[x] each til count x}",
        tests=[([2, 1, 5, 6, 2, 3],), ([2, 4],), ([7],), ([3, 3, 3, 3],)],
    ),
    dict(
        id="roman-value", name="Roman Value", difficulty="Easy", tags=["strings", "hashing", "math"],
        description="Convert a valid Roman numeral (letters I, V, X, L, C, D, M) to its integer value.",
        py="def solve(s):\n    v = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}\n    total = 0\n    for i, ch in enumerate(s):\n        if i + 1 < len(s) and v[ch] < v[s[i + 1]]:\n            total -= v[ch]\n        else:\n            total += v[ch]\n    return total\n",
        q="solve:{v:(\"IVXLCDM\"!1 5 10 50 100 500 1000) x; sum v*1-2*v<1_v,0}",
        tests=[("III",), ("LVIII",), ("MCMXCIV",), ("IX",)],
    ),
    dict(
        id="binary-text", name="Binary Text", difficulty="Easy", tags=["math", "strings"],
        description="Return the binary representation of a non-negative integer as a string of 0s and 1s without "
        "leading zeros (\"0\" for zero).",
        py="def solve(n):\n    return bin(n)[2:]\n",
        q="solve:{$[x=0;enlist \"0\";\"01\" 2 vs x]}",
        tests=[(5,), (0,), (1,), (255,), (1024,)],
    ),
    dict(
        id="digit-rounds", name="Digit Rounds", difficulty="Easy", tags=["math"],
        description="Repeatedly replace a non-negative integer by the sum of its decimal digits until it is a "
        "single digit. Return how many replacements were made.",
        py="def solve(n):\n    k = 0\n    while n > 9:\n        n = sum(int(d) for d in str(n))\n        k += 1\n    return k\n",
        q="solve:{count 1_{sum 10 vs x}\\[{x>9};x]}",
        tests=[(7,), (38,), (999999999,), (10,)],
    ),
    dict(
        id="gap-pairs", name="Gap Pairs", difficulty="Medium", tags=["hashing", "arrays"],
        description="Given a list of integers and k > 0, return the number of distinct value pairs (a, b) from the "
        "list with b - a == k.",
        py="def solve(nums, k):\n    s = set(nums)\n    return sum(1 for v in s if v + k in s)\n",
        q="solve:{[x;k] u:distinct x; count where (u+k) in u}",
        tests=[([3, 1, 4, 1, 5], 2), ([1, 2, 3, 4, 5], 1), ([1, 3, 1, 5, 4], 3), ([6], 1)],
    ),
    dict(
        id="anagram-families", name="Anagram Families", difficulty="Medium", tags=["hashing", "strings", "sorting"],
        description="Return how many groups a list of words falls into when words that are rearrangements of each "
        "other share a group.",
        py="def solve(words):\n    return len({''.join(sorted(w)) for w in words})\n",
        q="solve:{count distinct {x iasc x} each x}",
        tests=[(["eat", "tea", "tan", "ate", "nat", "bat"],), (["abc"],), (["ab", "ba", "abc", "cab", "bca"],), (["x", "y", "x"],)],
    ),
    dict(
        id="busiest-moment", name="Busiest Moment", difficulty="Medium", tags=["intervals", "sorting"],
        description="Meetings are half-open intervals [start, end). Return the least number of rooms needed so that "
        "no two overlapping meetings share a room.",
        py="def solve(meetings):\n    ev = sorted([(s, 1) for s, _ in meetings] + [(e, -1) for _, e in meetings])\n    cur = best = 0\n    for _, d in ev:\n        cur += d\n        best = max(best, cur)\n    return best\n",
        q="solve:{t:x[;0],x[;1]; d:(count[x]#1),count[x]#-1; max sums d iasc t+0.5*d>0}",
        tests=[([[0, 30], [5, 10], [15, 20]],), ([[7, 10], [2, 4]],), ([[1, 5], [5, 9], [5, 7]],), ([[1, 10], [2, 9], [3, 8]],)],
    ),
    dict(
        id="kth-largest", name="Kth Largest", difficulty="Medium", tags=["sorting", "arrays"],
        description="Return the k-th largest element (1-based, counting repeats) of a list of integers.",
        py="def solve(nums, k):\n    return sorted(nums, reverse=True)[k - 1]\n",
        q="solve:{[x;k] (x idesc x) k-1}",
        tests=[([3, 2, 1, 5, 6, 4], 2), ([3, 2, 3, 1, 2, 4, 5, 5, 6], 4), ([1], 1), ([-1, -2], 2)],
    ),
    dict(
        id="squeeze-runs", name="Squeeze Runs", difficulty="Medium", tags=["strings", "two pointers"],
        description="Compress a non-empty string by replacing each maximal run of a repeated character with the "
        "character followed by the run length; runs of length 1 keep just the character.",
        py="def solve(s):\n    out, i = [], 0\n    while i < len(s):\n        j = i\n        while j < len(s) and s[j] == s[i]:\n            j += 1\n        out.append(s[i] + (str(j - i) if j - i > 1 else ''))\n        i = j\n    return ''.join(out)\n",
        q="solve:{i:where differ x; n:1_deltas i,count x; raze (x i),'{$[x>1;string x;\"\"]} each n}",
        tests=[("aaabcc",), ("abc",), ("a",), ("zzzzzzzzzzzz",)],
    ),
    dict(
        id="cheerful-number", name="Cheerful Number", difficulty="Easy", tags=["math", "hashing"],
        description="Start from a positive integer and repeatedly replace it by the sum of the squares of its "
        "digits. Return true when this reaches 1, false when it cycles forever without reaching 1.",
        py="def solve(n):\n    seen = set()\n    while n not in seen:\n        seen.add(n)\n        n = sum(int(d) ** 2 for d in str(n))\n    return n == 1\n",
        q="solve:{s:(); while[not x in s; s,:x; x:sum d*d:10 vs x]; x=1}",
        tests=[(19,), (2,), (1,), (7,)],
    ),
    dict(
        id="next-taller", name="Next Taller", difficulty="Medium", tags=["stacks", "arrays"],
        description="For each element of a list of integers, return the first element to its right that is "
        "strictly greater, or -1 when there is none.",
        py="def solve(nums):\n    out = [-1] * len(nums)\n    stack = []\n    for i, v in enumerate(nums):\n        while stack and nums[stack[-1]] < v:\n            out[stack.pop()] = v\n        stack.append(i)\n    return out\n",
        q="solve:{{[v;i] w:r where (r:(i+1)_v)>v i; $[count w;first w;-1]}[x] each til count x}",
        tests=[([2, 1, 2, 4, 3],), ([5, 4, 3],), ([1],), ([1, 3, 2, 4],)],
    ),
    dict(
        id="warmer-wait", name="Warmer Wait", difficulty="Medium", tags=["stacks", "arrays"],
        description="temps[i] is the temperature on day i. For each day return how many days pass until a strictly "
        "warmer day, or 0 when none comes.",
        py="def solve(temps):\n    out = [0] * len(temps)\n    stack = []\n    for i, t in enumerate(temps):\n        while stack and temps[stack[-1]] < t:\n            j = stack.pop()\n            out[j] = i - j\n        stack.append(i)\n    return out\n",
        q="solve:{{[v;i] w:where (i+1)_v>v i; $[count w;1+first w;0]}[x] each til count x}",
        tests=[([73, 74, 75, 71, 69, 72, 76, 73],), ([30, 40, 50, 60],), ([90],), ([60, 50, 40],)],
    ),
    dict(
        id="expand-code", name="Expand Code", difficulty="Easy", tags=["strings"],
        description="A code string alternates a letter and a single digit 1-9, e.g. \"a3b2\". Return the expanded "
        "string, each letter repeated by its digit (\"aaabb\").",
        py="def solve(code):\n    return ''.join(code[i] * int(code[i + 1]) for i in range(0, len(code), 2))\n",
        q="solve:{n:(count x) div 2; raze (\"0123456789\"?x 1+2*til n)#'x 2*til n}",
        tests=[("a3b2",), ("x1",), ("q2k1d4",), ("z9",)],
    ),
    dict(
        id="longest-ones", name="Longest Ones", difficulty="Easy", tags=["arrays"],
        description="A list holds only 0s and 1s. Return the length of its longest run of consecutive 1s.",
        py="def solve(bits):\n    best = cur = 0\n    for b in bits:\n        cur = cur + 1 if b else 0\n        best = max(best, cur)\n    return best\n",
        q="solve:{max 0,{y*x+y}\\[0;x]}",
        tests=[([1, 1, 0, 1, 1, 1],), ([0, 0],), ([1],), ([1, 0, 1, 1, 0, 1],)],
    ),
    dict(
        id="coin-staircase", name="Coin Staircase", difficulty="Easy", tags=["math", "binary search"],
        description="With n coins you build a staircase whose k-th row holds k coins. Return the number of complete "
        "rows you can build.",
        py="def solve(n):\n    lo, hi = 0, n\n    while lo < hi:\n        mid = (lo + hi + 1) // 2\n        if mid * (mid + 1) // 2 <= n:\n            lo = mid\n        else:\n            hi = mid - 1\n    return lo\n",
        q="solve:{k:floor ((sqrt 1+8*x)-1)%2; k:k-(k*k+1)>2*x; k+((k+1)*k+2)<=2*x}",
        tests=[(5,), (8,), (0,), (1,), (1000000000,)],
    ),
    dict(
        id="longest-proper-brackets", name="Longest Proper Brackets", difficulty="Hard", tags=["strings", "stacks", "dp"],
        description="A string holds only '(' and ')'. Return the length of its longest substring that is a "
        "well-formed bracket sequence.",
        py="def solve(s):\n    stack, best = [-1], 0\n    for i, ch in enumerate(s):\n        if ch == '(':\n            stack.append(i)\n        else:\n            stack.pop()\n            if not stack:\n                stack.append(i)\n            else:\n                best = max(best, i - stack[-1])\n    return best\n",
        q="solve:{st:enlist -1; best:0; i:0; while[i<count x; if[\"(\"=x i; st,:i]; if[\")\"=x i; st:-1_st; if[0=count st; st:enlist i]; best:best|i-last st]; i+:1]; best}",
        tests=[("(()",), (")()())",), ("((",), ("()(())",)],
    ),
    dict(
        id="middle-of-two", name="Middle Of Two", difficulty="Hard", tags=["arrays", "binary search", "math"],
        description="Given two sorted lists of integers, not both empty, return the median of all their values as a "
        "float.",
        py="def solve(a, b):\n    v = sorted(a + b)\n    n = len(v)\n    return (v[n // 2] + v[(n - 1) // 2]) / 2\n",
        q="solve:{[a;b] med a,b}",
        tests=[([1, 3], [2]), ([1, 2], [3, 4]), ([0, 0], [0, 0]), ([2], [7, 9, 10])],
    ),
    dict(
        id="window-means", name="Window Means", difficulty="Easy", tags=["arrays", "sliding window"],
        description="Return the mean of every window of k consecutive elements of a list of integers (k <= length), "
        "in order, as floats.",
        py="def solve(nums, k):\n    return [sum(nums[i:i + k]) / k for i in range(len(nums) - k + 1)]\n",
        q="solve:{[x;k] (k-1)_(k msum x)%k}",
        tests=[([1, 3, 2, 6, -1, 4, 1, 8, 2], 5), ([1, 2, 3], 3), ([4, 5, 6], 1), ([1, 2, 4], 2)],
    ),
    dict(
        id="queen-layouts", name="Queen Layouts", difficulty="Hard", tags=["backtracking", "recursion"],
        description="Return the number of ways to place n queens on an n-by-n board so that no two attack each other.",
        py="def solve(n):\n    def place(cols):\n        k = len(cols)\n        if k == n:\n            return 1\n        total = 0\n        for r in range(n):\n            if all(r != c and abs(r - c) != k - i for i, c in enumerate(cols)):\n                total += place(cols + [r])\n        return total\n    return place([])\n",
        q="ok:{[c;r] k:count c; not (r in c) or any (abs c-r)=k-til k}\nnq:{[n;c] $[n=count c; 1; sum nq[n] each c,/:r where ok[c] each r:til n]}\nsolve:{nq[x;()]}",
        tests=[(1,), (4,), (5,), (6,)],
    ),
    dict(
        id="word-split", name="Word Split", difficulty="Medium", tags=["dp", "strings"],
        description="Return true when the string s can be cut into pieces that are all words of the given list "
        "(words may be reused).",
        py="def solve(s, words):\n    ok = [True] + [False] * len(s)\n    for i in range(1, len(s) + 1):\n        ok[i] = any(ok[j] and s[j:i] in words for j in range(i))\n    return ok[-1]\n",
        q="solve:{[s;w] n:count s; d:(n+1)#0b; d[0]:1b; i:1; while[i<=n; j:0; while[j<i; if[d[j]; if[any w~\\:j _ i#s; d[i]:1b]]; j+:1]; i+:1]; d n}",
        tests=[("leetcode", ["leet", "code"]), ("applepenapple", ["apple", "pen"]), ("catsandog", ["cats", "dog", "sand", "and", "cat"]), ("aaaa", ["a", "aa"])],
    ),
]


def build() -> list[dict[str, Any]]:
    """Report-format rows: run the Python solutions to get expected values, render the q tests."""
    from rdq.qlang.bench._leetcode import q_call
    from rdq.qlang.bench._qvalues import to_q_console, to_q_literal

    rows = []
    for n, spec in enumerate(SAMPLE_SOURCE, start=1):
        env: dict[str, Any] = {}
        exec(spec["py"], env)  # noqa: S102 - our own reference code
        tests = []
        for j, args in enumerate(spec["tests"], start=1):
            value = env["solve"](*[_copy(a) for a in args])
            py_args = ", ".join(repr(a) for a in args)
            tests.append({
                "test_case_number": j,
                "python_test_code": f"result = solve({py_args})\nprint(result)",
                "q_test_code": f"result:{q_call([to_q_literal(a) for a in args])};\nshow result;",
                "python_expected_output": str(value),
                "q_expected_output": to_q_console(value),
                "correct_answer": repr(value),
            })
        rows.append({
            "problem_id": f"rdq-{n:03d}-{spec['id']}",
            "problem_name": spec["name"],
            "leetcode_id": None,
            "difficulty": spec["difficulty"],
            "tags": spec["tags"],
            "problem_description": spec["description"],
            "python_solution": spec["py"],
            "q_solution": spec["q"] + "\n",
            "test_cases": tests,
        })
    return rows


def _copy(v: Any) -> Any:
    import copy

    return copy.deepcopy(v)


if __name__ == "__main__":  # pragma: no cover
    import json
    from pathlib import Path

    from rdq.qlang.bench._io import atomic_write_text

    out = Path(__file__).with_name("sample.jsonl")
    atomic_write_text(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in build()))
    print(f"wrote {out}")  # noqa: T201 - a script
