# gen.py SEED N — N random calendar specs (valid and invalid mixed) for tests/compat/calendar.sh.
import random, sys
r = random.Random(int(sys.argv[1]))
WD = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "monday", "Friday", "SUN"]

def comp(lo, hi, sec=False):
    def v():
        x = r.randint(lo, hi)
        if sec and r.random() < 0.2:
            return "%d.%s" % (x, "".join(r.choice("0123456789") for _ in range(r.randint(1, 7))))
        return ("%02d" % x) if r.random() < 0.5 else str(x)
    def rng():
        a = r.randint(lo, hi)
        b = r.randint(a, hi) if r.random() < 0.9 else r.randint(lo, hi)
        return "%d..%d" % (a, b)
    k = r.random()
    if k < 0.45:
        return v()
    if k < 0.65:
        return rng()
    step = str(r.randint(1, max(1, (hi - lo) // 2)))
    return (v() if k < 0.85 else rng()) + "/" + step

def field(lo, hi, sec=False, star=0.4):
    if r.random() < star:
        return "*"
    return ",".join(comp(lo, hi, sec) for _ in range(r.choice([1, 1, 1, 2, 3])))

def spec():
    if r.random() < 0.05:
        return r.choice(["minutely", "hourly", "daily", "weekly", "monthly", "yearly", "quarterly",
                         "semiannually"]) + (" UTC" if r.random() < 0.3 else "")
    parts = []
    if r.random() < 0.3:
        ws = []
        for _ in range(r.choice([1, 1, 2])):
            a = r.randint(0, 6)
            b = r.randint(a, 6)
            ws.append(WD[a] if r.random() < 0.4 or a == b else WD[a] + r.choice(["..", "-"]) + WD[b])
        parts.append(",".join(ws))
    d = r.random()
    if d < 0.7:
        y = field(2020, 2040, star=0.6) if r.random() < 0.6 else None
        m = field(1, 12, star=0.5)
        eom = r.random() < 0.2
        dd = field(1, 28 if eom else 31, star=0.4)
        parts.append((y + "-" if y else "") + m + ("~" if eom else "-") + dd)
    if d >= 0.3 or not parts:
        t = field(0, 23) + ":" + field(0, 59)
        if r.random() < 0.6:
            t += ":" + field(0, 59, sec=True)
        parts.append(t)
    s = " ".join(parts)
    return s + " UTC" if r.random() < 0.2 else s

for _ in range(int(sys.argv[2])):
    print(spec())
