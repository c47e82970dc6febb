# A stand-in for systemd's notify socket in tests: binds a Unix datagram socket (argv[1]: a path, or @name in the
# abstract namespace) and prints each datagram as a JSON line with the sender's pid from the kernel (SCM_CREDENTIALS).
# Python, because Node cannot receive Unix datagrams. Ends when its parent (the test) is gone.
import json, os, socket, struct, sys

address = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind('\0' + address[1:] if address.startswith('@') else address)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.settimeout(0.5)
parent = os.getppid()
print(json.dumps({'listening': address}), flush=True)
while os.getppid() == parent:
    try:
        data, ancillary, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(12))
    except socket.timeout:
        continue
    pid = None
    for level, kind, cred in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', cred[:12])[0]
    print(json.dumps({'pid': pid, 'text': data.decode('utf-8')}), flush=True)
