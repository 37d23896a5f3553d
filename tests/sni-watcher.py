#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A minimal StatusNotifierWatcher (and host) for the tray tests.

Owns org.kde.StatusNotifierWatcher on the session bus, as a panel
(GNOME's AppIndicator extension, KDE Plasma, waybar) does, so the applet
registers its item exactly as it would on a desktop. Prints one line
"REGISTERED <bus-name> <object-path> <monotonic-seconds>" per item on
standard output; the test then reads the item's properties and menu over
D-Bus itself. The last field is time.monotonic() when the call arrived
(CLOCK_MONOTONIC, one clock for every process), so bench/ can time the
applet's start to its registration.
"""

import sys
import time

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

XML = '''
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
'''

items = []


def on_call(connection, sender, path, interface, method, params, invocation):
    if method == 'RegisterStatusNotifierItem':
        arrived = time.monotonic()
        service = params.unpack()[0]
        # Items may pass a bus name or, as libayatana does, an object path
        # (then the sender is the bus name)
        if service.startswith('/'):
            entry = '%s%s' % (sender, service)
            name, object_path = sender, service
        else:
            entry = service
            name, object_path = service, '/StatusNotifierItem'
        items.append(entry)
        print('REGISTERED %s %s %.6f' % (name, object_path, arrived), flush=True)
        connection.emit_signal(None, '/StatusNotifierWatcher', 'org.kde.StatusNotifierWatcher',
                               'StatusNotifierItemRegistered', GLib.Variant('(s)', (entry,)))
    invocation.return_value(None)


def on_get_property(connection, sender, path, interface, name):
    if name == 'RegisteredStatusNotifierItems':
        return GLib.Variant('as', items)
    if name == 'IsStatusNotifierHostRegistered':
        return GLib.Variant('b', True)
    if name == 'ProtocolVersion':
        return GLib.Variant('i', 0)
    return None


def on_bus(connection, name):
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    connection.register_object('/StatusNotifierWatcher', node.interfaces[0], on_call,
                               on_get_property, None)


def on_name(connection, name):
    print('READY', flush=True)


def on_lost(connection, name):
    print('LOST', flush=True)
    sys.exit(1)


Gio.bus_own_name(Gio.BusType.SESSION, 'org.kde.StatusNotifierWatcher',
                 Gio.BusNameOwnerFlags.NONE, on_bus, on_name, on_lost)
GLib.MainLoop().run()
