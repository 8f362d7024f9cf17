"""Save workbooks through LibreOffice's own API (UNO), for what its command line cannot do: a password, a Basic
module. Run by make_fixtures.py with the Python that has LibreOffice's ``uno`` module (Debian: python3-uno):

    /usr/bin/python3 lo_uno.py JOBS.json PROFILE_DIR

JOBS.json is a list of {"src": path, "out": path, "filter": LibreOffice filter name, "password": optional,
"basic": optional Basic source of a module "Module1" added to the document's library "Standard"}.
"""

import json
import shutil
import subprocess
import sys
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main():
    jobs = json.load(open(sys.argv[1], encoding="utf-8"))
    profile = sys.argv[2]
    pipe = f"consolidate_fixtures_{uuid.uuid4().hex}"
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    proc = subprocess.Popen([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
                             "--norestore", f"--accept=pipe,name={pipe};urp;"])
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(120):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:  # noqa: BLE001 -- not listening yet
                time.sleep(0.5)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        for job in jobs:
            doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(job["src"]), "_blank", 0,
                                               (prop("Hidden", True),))
            if job.get("basic"):
                libraries = doc.BasicLibraries
                if not libraries.hasByName("Standard"):
                    libraries.createLibrary("Standard")
                libraries.getByName("Standard").insertByName("Module1", job["basic"])
            args = [prop("FilterName", job["filter"])]
            if job.get("password"):
                args.append(prop("Password", job["password"]))
            doc.storeToURL(uno.systemPathToFileUrl(job["out"]), tuple(args))
            doc.close(True)
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001 -- the bridge closes as LibreOffice exits
            pass
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()


if __name__ == "__main__":
    main()
