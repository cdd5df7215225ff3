import Switchboard
print("switchboard")
