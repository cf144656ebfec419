# Names the samples of `perf record -g` on a stripped Go binary through `go tool addr2line`
# (Go keeps its own line table), and prints self and inclusive shares by package and function.
# Usage: python3 bench/gosym.py <binary> <perf.data>
import sys, subprocess, collections
binary = sys.argv[1]
data = sys.argv[2]
out = subprocess.run(['perf','script','-i',data,'-F','ip'], capture_output=True, text=True).stdout
samples=[]; cur=[]
for line in out.split('\n'):
    line=line.strip()
    if not line:
        if cur: samples.append(cur); cur=[]
        continue
    cur.append(int(line.split()[0],16))
if cur: samples.append(cur)
# perf prints user addresses as offsets into the binary: add the first LOAD segment's address.
load = subprocess.run(['readelf', '-lW', binary], capture_output=True, text=True).stdout
base = int(next(l.split()[2] for l in load.split('\n') if l.strip().startswith('LOAD')), 16)
KERNEL = 0xffff000000000000
samples = [[a if a >= KERNEL else a + base for a in s] for s in samples]
addrs=sorted({a for s in samples for a in s if a < KERNEL})
res=subprocess.run(['go','tool','addr2line',binary],input='\n'.join(hex(a) for a in addrs)+'\n',capture_output=True,text=True).stdout.split('\n')
sym={a:res[2*i] for i,a in enumerate(addrs)}
for s_ in samples:
    for a in s_:
        if a >= KERNEL: sym[a] = 'kernel'
n=len(samples)
selfc=collections.Counter(); incl=collections.Counter(); pkgself=collections.Counter(); pkgincl=collections.Counter()
def pkg(f):
    f=f.split('(')[0] if '(' in f and not f.startswith('(') else f
    parts=f.split('/')
    last=parts[-1].split('.')[0]
    return '/'.join(parts[:-1]+[last])
for s in samples:
    names=[sym.get(a,'?') for a in s]
    selfc[names[0]]+=1; pkgself[pkg(names[0])]+=1
    for f in set(names): incl[f]+=1
    for p in set(pkg(f) for f in names): pkgincl[p]+=1
print('samples',n)
print('--- self by package'); [print(f'{c/n*100:5.1f}% {k}') for k,c in pkgself.most_common(30)]
print('--- inclusive by package'); [print(f'{c/n*100:5.1f}% {k}') for k,c in pkgincl.most_common(60)]
print('--- inclusive by function'); [print(f'{c/n*100:5.1f}% {k}') for k,c in incl.most_common(80)]
print('--- self by function'); [print(f'{c/n*100:5.1f}% {k}') for k,c in selfc.most_common(40)]
