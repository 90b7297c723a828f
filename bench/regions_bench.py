"""Gazetteer speed: ``find_place`` per-message latency and throughput, ``covers`` latency, load time.

Messages are generated deterministically from templates and real division names (a few hundred,
varied: city+county, county alone, addresses, towns, homophones, no place at all).
"""

from __future__ import annotations

import random
import time

from bench.stats import latency_summary


def _messages(n: int = 400, seed: int = 7) -> list[str]:
    from regions.gazetteer import gazetteer

    gz = gazetteer()
    rng = random.Random(seed)
    counties = sorted((d for d in gz.counties.values() if d.prefecture), key=lambda d: d.adcode)
    towns = sorted((t for ts in gz.towns.values() for t in ts), key=lambda t: (t.host_adcode, t.name))
    templates = [
        "{city}{county} 保险柜打不开了",
        "丹斯提尼保险柜密码忘了，我们在{short}",
        "我家在{province}{city}{county}人民路18号，指纹锁没电了",
        "{county} 旗电佳门锁一直报警，师傅明天下午能来吗",
        "你好，请问{city}能上门吗？在{county}这边",
        "保险箱钥匙丢了 {province}{short}",
        "我在{city}上班，保险柜在老家{county}",
    ]
    no_place = [
        "你好",
        "保险柜打不开了怎么办",
        "师傅什么时候到？",
        "密码忘了，急！！！",
        "谢谢你们",
        "多少钱",
    ]
    out: list[str] = []
    while len(out) < n:
        r = rng.random()
        if r < 0.1:
            out.append(rng.choice(no_place))
        elif r < 0.2:
            t = rng.choice(towns)
            host = gz.counties[t.host_adcode]
            out.append(f"{host.short}{t.name} 指纹锁打不开")
        else:
            d = rng.choice(counties)
            short = d.short if len(d.short) >= 2 else d.name
            out.append(rng.choice(templates).format(
                province=d.province, city=d.prefecture, county=d.name, short=short))  # fmt: skip
    return out


def run() -> dict:
    """Timings as a JSON-able dict."""
    t0 = time.perf_counter()
    import regions

    regions.find_place("焦作温县")  # loads the gazetteer and builds the automaton
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    regions.find_place("焦作问县")  # first homophone: imports pypinyin
    regions.distance_km("410825", "320582")  # first distance: imports geopy
    first_use_s = time.perf_counter() - t1
    messages = _messages()
    for m in messages[:50]:  # warm caches (pinyin of typed text)
        regions.find_place(m)
    per_msg: list[float] = []
    resolved = 0
    for _ in range(3):
        for m in messages:
            s = time.perf_counter()
            match = regions.find_place(m)
            per_msg.append((time.perf_counter() - s) * 1000)
            resolved += match.place is not None
    start = time.perf_counter()
    for m in messages:
        regions.find_place(m)
    throughput = len(messages) / (time.perf_counter() - start)
    places = [p for p in (regions.find_place(m).place for m in messages) if p]
    t1 = time.perf_counter()
    regions.covers("丹斯提尼", places[0])  # loads the service-area YAML
    covers_load_s = time.perf_counter() - t1
    cov_ms: list[float] = []
    for brand in ("丹斯提尼", "旗电佳"):
        for p in places:
            s = time.perf_counter()
            regions.covers(brand, p)
            cov_ms.append((time.perf_counter() - s) * 1000)
    dist_ms: list[float] = []
    for a, b in zip(places, places[1:], strict=False):
        s = time.perf_counter()
        regions.distance_km(a.adcode, b.adcode)
        dist_ms.append((time.perf_counter() - s) * 1000)
    return {
        "load_s": round(load_s, 3),
        "first_homophone_and_distance_s": round(first_use_s, 3),
        "covers_load_s": round(covers_load_s, 3),
        "messages": len(messages),
        "resolved_share": round(resolved / len(per_msg), 3),
        "find_place": {**latency_summary(per_msg), "per_second": round(throughput)},
        "covers": latency_summary(cov_ms),
        "distance_km": latency_summary(dist_ms),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
