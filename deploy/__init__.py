"""Tools that build what is deployed: the packaged SAM template, its alarms and dashboard
(never packaged into a Lambda; the local stack is ``devstack``)."""
