from foia import create_app

app = create_app()
